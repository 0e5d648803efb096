import { useSignal } from "@preact/signals";
import { type MessageKey, t } from "../i18n";
import { errorText } from "../i18n/errors";
import { ApiFailure, api, call } from "../state/api";
import { signedIn } from "../state/session";
import { Field } from "../ui/field";
import { AuthFrame } from "./auth-frame";

const FIELD_TEXT: Record<string, MessageKey> = { login: "auth.err.login", password: "auth.err.passwordEmpty" };

export default function SignIn() {
  const login = useSignal("");
  const password = useSignal("");
  const busy = useSignal(false);
  const errors = useSignal<Record<string, string>>({});
  const edit = (field: "login" | "password", v: string) => {
    (field === "login" ? login : password).value = v;
    // What was wrong is about what was typed: it goes as soon as that changes.
    const { [field]: _, form: _f, ...rest } = errors.value;
    errors.value = rest;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!login.value.trim()) local.login = t(FIELD_TEXT.login!);
    if (!password.value) local.password = t(FIELD_TEXT.password!);
    errors.value = local;
    if (Object.keys(local).length > 0) return document.getElementById(Object.keys(local)[0]!)?.focus();
    busy.value = true;
    try {
      const { user } = await call(api.api.auth.login.$post({ json: { login: login.value, password: password.value } }));
      // Signed in, the app routes on by itself (app.tsx).
      await signedIn(user);
    } catch (err) {
      errors.value = fieldErrors(err, FIELD_TEXT);
    } finally {
      busy.value = false;
    }
  };
  return (
    <AuthFrame title={t("auth.signIn")}>
      <form class="form" onSubmit={submit} noValidate>
        <Field id="login" label={t("auth.login")} value={login.value} onValue={(v) => edit("login", v)} error={errors.value.login} autoComplete="username" autoCapitalize="none" required />
        <Field id="password" label={t("auth.password")} type="password" value={password.value} onValue={(v) => edit("password", v)} error={errors.value.password} autoComplete="current-password" required />
        {errors.value.form && <p class="field-error" role="alert">{errors.value.form}</p>}
        <button type="submit" class="button primary wide" disabled={busy.value}>{t("auth.signIn")}</button>
      </form>
      <p class="switch">{t("auth.noAccount")} <a href="/signup">{t("auth.signUp")}</a></p>
    </AuthFrame>
  );
}

/**
 * A server error as sentences for the form: next to the field it is about (a code that
 * names one, or a field the validation named), else above the button. Always in the
 * user's language: a field gets the form's own sentence for it, never the validator's text.
 */
export function fieldErrors(err: unknown, fieldText: Record<string, MessageKey>, byCode: Record<string, string> = {}): Record<string, string> {
  if (!(err instanceof ApiFailure)) return { form: t("error.generic", { message: String(err) }) };
  if (err.code === "network") return { form: t("error.network") };
  const out: Record<string, string> = {};
  const codeField = byCode[err.code];
  if (codeField) out[codeField] = errorText(err);
  for (const f of err.fields) {
    const name = f.path.split(".")[0] ?? "";
    const key = fieldText[name];
    if (key) out[name === "region" ? "phone" : name] ??= t(key);
  }
  if (Object.keys(out).length === 0) out.form = err.code === "rate_limited" && err.retryAfter ? t("error.rateLimited", { seconds: err.retryAfter }) : errorText(err);
  return out;
}
