// Profile, theme, language and sign out.
import { LOCALES, type Locale, locale, setLocale, t } from "../i18n";
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
