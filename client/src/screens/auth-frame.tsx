import type { ComponentChildren } from "preact";
import { t } from "../i18n";

export function AuthFrame({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <main class="screen auth">
      <div class="scroll">
        <div class="brand">
          <img src="/icons/icon.svg" alt="" width="56" height="56" />
          <p class="app-name">{t("app.name")}</p>
          <p class="muted">{t("auth.tagline")}</p>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
