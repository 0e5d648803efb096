import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { t } from "../i18n";
import { ApiFailure, api, call } from "../state/api";
import { signedIn } from "../state/session";
import { Field } from "../ui/field";
import { AuthFrame } from "./auth-frame";

export default function SignIn() {
  const { route } = useLocation();
  const login = useSignal("");
  const password = useSignal("");
  const busy = useSignal(false);
  const errors = useSignal<Record<string, string>>({});
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    errors.value = {};
    try {
      const { user } = await call(api.api.auth.login.$post({ json: { login: login.value, password: password.value } }));
      await signedIn(user);
      route("/", true);
    } catch (err) {
      errors.value = toFieldErrors(err, ["login", "password"]);
    } finally {
      busy.value = false;
    }
  };
  return (
    <AuthFrame title={t("auth.signIn")}>
      <form class="form" onSubmit={submit} noValidate>
        <Field id="login" label={t("auth.login")} value={login.value} onValue={(v) => (login.value = v)} error={errors.value.login} autoComplete="username" autoCapitalize="none" required />
        <Field id="password" label={t("auth.password")} type="password" value={password.value} onValue={(v) => (password.value = v)} error={errors.value.password} autoComplete="current-password" required />
        {errors.value.form && <p class="field-error" role="alert">{errors.value.form}</p>}
        <button type="submit" class="button primary wide" disabled={busy.value}>{t("auth.signIn")}</button>
      </form>
      <p class="switch">{t("auth.noAccount")} <a href="/signup">{t("auth.signUp")}</a></p>
    </AuthFrame>
  );
}

/** Server errors land next to the field they name; anything else goes above the button. */
export function toFieldErrors(err: unknown, fields: string[], byCode: Record<string, string> = {}): Record<string, string> {
  if (!(err instanceof ApiFailure)) return { form: t("error.generic", { message: String(err) }) };
  if (err.code === "network") return { form: t("error.network") };
  const out: Record<string, string> = {};
  for (const f of err.fields) {
    const name = f.path.split(".")[0] ?? "";
    if (fields.includes(name)) out[name] ??= f.message;
  }
  const codeField = byCode[err.code];
  if (codeField) out[codeField] = err.message;
  if (Object.keys(out).length === 0) out.form = err.message;
  return out;
}
