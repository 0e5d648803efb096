// Sign up. The form is checked locally with the same zod schema the server uses
// (registerBody), so the rules live in one place; the server's answer still wins.
import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { registerBody } from "../../../core/protocol";
import { locale, t } from "../i18n";
import { api, call } from "../state/api";
import { signedIn } from "../state/session";
import { Field } from "../ui/field";
import { AuthFrame } from "./auth-frame";
import { toFieldErrors } from "./sign-in";

/** Dialling codes for the picker; the region code is what the server needs to read national numbers. */
const COUNTRIES: [region: string, dial: string, name: string][] = [
  ["CN", "86", "China 中国"], ["HK", "852", "Hong Kong 香港"], ["TW", "886", "Taiwan 台湾"], ["SG", "65", "Singapore"],
  ["US", "1", "United States"], ["CA", "1", "Canada"], ["GB", "44", "United Kingdom"], ["DE", "49", "Germany"],
  ["FR", "33", "France"], ["ES", "34", "Spain"], ["IT", "39", "Italy"], ["JP", "81", "Japan 日本"],
  ["KR", "82", "South Korea"], ["IN", "91", "India"], ["AU", "61", "Australia"], ["BR", "55", "Brazil"],
];

function defaultRegion(): string {
  const tag = typeof navigator !== "undefined" ? navigator.language : "en-US";
  const region = tag.split("-")[1]?.toUpperCase();
  if (region && COUNTRIES.some((c) => c[0] === region)) return region;
  return locale.value === "zh-CN" ? "CN" : "US";
}

/** 0 too short … 3 strong: length first, then variety of character classes. */
export function passwordStrength(pw: string): 0 | 1 | 2 | 3 {
  if (pw.length < 10) return 0;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (pw.length >= 16 && classes >= 2) return 3;
  if (pw.length >= 12 && classes >= 3) return 3;
  return classes >= 2 ? 2 : 1;
}

const FIELDS = ["handle", "phone", "password", "displayName", "region"];

export default function SignUp() {
  const { route } = useLocation();
  const form = useSignal({ handle: "", phone: "", displayName: "", password: "", region: defaultRegion() });
  const busy = useSignal(false);
  const errors = useSignal<Record<string, string>>({});
  const set = (k: keyof typeof form.value) => (v: string) => (form.value = { ...form.value, [k]: v });

  const submit = async (e: Event) => {
    e.preventDefault();
    const checked = registerBody.safeParse(form.value);
    if (!checked.success) {
      const out: Record<string, string> = {};
      for (const issue of checked.error.issues) out[String(issue.path[0])] ??= issue.message;
      errors.value = out;
      return;
    }
    busy.value = true;
    errors.value = {};
    try {
      const { user } = await call(api.api.auth.register.$post({ json: checked.data }));
      await signedIn(user);
      route("/", true);
    } catch (err) {
      errors.value = toFieldErrors(err, FIELDS, { handle_taken: "handle", phone_taken: "phone", invalid_phone: "phone" });
    } finally {
      busy.value = false;
    }
  };

  const f = form.value;
  const err = errors.value;
  const strength = passwordStrength(f.password);
  const dial = COUNTRIES.find((c) => c[0] === f.region)?.[1];
  return (
    <AuthFrame title={t("auth.signUp")}>
      <form class="form" onSubmit={submit} noValidate>
        <Field id="handle" label={t("auth.handle")} value={f.handle} onValue={set("handle")} hint={t("auth.handleHint")} error={err.handle} autoComplete="username" autoCapitalize="none" spellcheck={false} required />
        <div class="field">
          <label for="region">{t("auth.country")}</label>
          <select id="region" name="region" value={f.region} onChange={(e) => set("region")(e.currentTarget.value)}>
            {COUNTRIES.map(([region, code, name]) => (
              <option key={region} value={region}>{name} (+{code})</option>
            ))}
          </select>
        </div>
        <Field id="phone" label={t("auth.phone")} type="tel" inputMode="tel" value={f.phone} onValue={set("phone")} hint={dial ? `+${dial}` : undefined} error={err.phone} autoComplete="tel-national" required />
        <Field id="displayName" label={t("auth.displayName")} value={f.displayName} onValue={set("displayName")} error={err.displayName} autoComplete="name" required />
        <Field id="password" label={t("auth.password")} type="password" value={f.password} onValue={set("password")} error={err.password} hint={t("auth.passwordHint")} autoComplete="new-password" required />
        <div class="strength" data-level={strength} aria-live="polite">
          <meter min={0} max={3} low={1.5} high={2.5} optimum={3} value={strength} aria-label={t("auth.strength", { level: t(`auth.strength.${strength}`) })} />
          <span>{t("auth.strength", { level: t(`auth.strength.${strength}`) })}</span>
        </div>
        {err.form && <p class="field-error" role="alert">{err.form}</p>}
        <button type="submit" class="button primary wide" disabled={busy.value}>{t("auth.signUp")}</button>
      </form>
      <p class="switch">{t("auth.haveAccount")} <a href="/signin">{t("auth.signIn")}</a></p>
    </AuthFrame>
  );
}
