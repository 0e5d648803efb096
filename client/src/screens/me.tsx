// Profile (name, password, other devices), notifications, theme, language and sign out.
import { useEffect } from "preact/hooks";
import { LOCALES, type Locale, locale, setLocale, t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { disablePush, enablePush, pushError, pushState, refreshPushState } from "../state/push";
import { me, signOut } from "../state/session";
import { type Theme, applyTheme, theme } from "../state/theme";
import { Avatar } from "../ui/avatar";
import { ChangePassword, EditName, OtherDevices } from "./me-account";

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
              <dt>{t("me.address")}</dt><dd class="address"><Address value={user.address} /></dd>
            </dl>
          </div>
        </div>
        <a class="card row accounts-link" href="/accounts">
          <span>{t("accounts.title")}</span>
          <span class="hint">{t("me.accountsHint")}</span>
        </a>
        <EditName />
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
        <ChangePassword />
        <OtherDevices />
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
  if ((err as { code?: unknown })?.code === "push_unavailable") return t("me.notifications.unavailable");
  if (typeof (err as { code?: unknown })?.code === "string") return errorMessage(err);
  // The browser's own refusal (a DOMException from subscribe): its text is for developers.
  return t("me.notifications.browserFailed");
}

/**
 * An address breaks only where a reader would break it, before the "@", never inside a
 * word: the local part and the domain are each kept whole.
 */
function Address({ value }: { value: string }) {
  const at = value.lastIndexOf("@");
  if (at <= 0) return <span class="nowrap">{value}</span>;
  return (
    <>
      <span class="nowrap">{value.slice(0, at)}</span>
      <wbr />
      <span class="nowrap">{value.slice(at)}</span>
    </>
  );
}
