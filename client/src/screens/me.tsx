// Profile, notifications, theme, language and sign out.
import { useEffect } from "preact/hooks";
import { LOCALES, type Locale, locale, setLocale, t } from "../i18n";
import { ApiFailure } from "../state/api";
import { disablePush, enablePush, pushError, pushState, refreshPushState } from "../state/push";
import { me, signOut } from "../state/session";
import { type Theme, applyTheme, theme } from "../state/theme";
import { Avatar } from "../ui/avatar";

const THEMES: Theme[] = ["system", "light", "dark"];

export default function Me() {
  const user = me.value;
  if (!user) return null;
  return (
    <section class="screen" aria-labelledby="me-title">
      <header class="topbar">
        <h1 id="me-title">{t("me.title")}</h1>
      </header>
      <div class="scroll">
        <div class="card profile">
          <Avatar id={user.id} name={user.displayName} size={64} />
          <div>
            <h2>{user.displayName}</h2>
            <dl>
              <dt>{t("me.handle")}</dt><dd>@{user.handle}</dd>
              {user.phone && <><dt>{t("me.phone")}</dt><dd>{user.phone}</dd></>}
              <dt>{t("me.address")}</dt><dd>{user.address}</dd>
            </dl>
          </div>
        </div>
        <a class="card row accounts-link" href="/accounts">
          <span>{t("accounts.title")}</span>
          <span class="hint">{t("me.accountsHint")}</span>
        </a>
        <Notifications />
        <a class="card row accounts-link" href="/settings/notify" data-quiet-link>
          <span>{t("notify.title")}</span>
          <span class="hint">{t("notify.linkHint")}</span>
        </a>
        <fieldset class="card segmented">
          <legend>{t("me.theme")}</legend>
          {THEMES.map((th) => (
            <label key={th} class="segment">
              <input type="radio" name="theme" value={th} checked={theme.value === th} onChange={() => applyTheme(th)} />
              <span>{t(`me.theme.${th}`)}</span>
            </label>
          ))}
        </fieldset>
        <div class="card field">
          <label for="language">{t("me.language")}</label>
          <select id="language" value={locale.value} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l.id} value={l.id} lang={l.id}>{l.name}</option>
            ))}
          </select>
        </div>
        <button type="button" class="button danger wide" onClick={() => void signOut()}>{t("me.signOut")}</button>
      </div>
    </section>
  );
}

/** The Web Push switch: the whole row is the target (≥ 44 px), the hint says why it may not work. */
function Notifications() {
  useEffect(() => {
    void refreshPushState();
  }, []);
  const state = pushState.value;
  const on = state === "on";
  const unsupported = state === "unsupported";
  const toggle = () => {
    if (state === "busy" || unsupported) return;
    void (on ? disablePush() : enablePush());
  };
  const hint = unsupported ? t("me.notifications.unsupported") : state === "denied" ? t("me.notifications.denied") : t("me.notifications.hint");
  return (
    <div class="card field">
      <button type="button" role="switch" id="notifications" aria-checked={on} aria-busy={state === "busy"} aria-describedby="notifications-hint" disabled={unsupported} onClick={toggle} class="switch-row">
        <span>{t("me.notifications")}</span>
        <span aria-hidden="true" class="switch-track">
          <span class="switch-knob" />
        </span>
      </button>
      <p id="notifications-hint" class="hint">{hint}</p>
      {pushError.value != null && <p class="field-error" role="alert">{pushErrorText(pushError.value)}</p>}
    </div>
  );
}

function pushErrorText(err: unknown): string {
  if (err instanceof ApiFailure && err.code === "network") return t("error.network");
  if (err instanceof ApiFailure && err.code === "push_unavailable") return t("me.notifications.unavailable");
  return t("me.notifications.failed", { message: err instanceof Error ? err.message : String(err) });
}
