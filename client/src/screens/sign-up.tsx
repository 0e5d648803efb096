// Sign up. The form is checked here before it is sent, with the rules the server uses
// (the shared schema for handle and name, the server's phone metadata for the number),
// and every error is a sentence in the user's language that goes away as soon as the
// field it is about changes. The server's answer still wins. Then the code screen.
import { useSignal } from "@preact/signals";
import { displayNameSchema, handleSchema } from "../../../core/protocol";
import { type MessageKey, t } from "../i18n";
import { api, call } from "../state/api";
import { sendCode } from "../state/phone";
import { signedIn } from "../state/session";
import { Field } from "../ui/field";
import { AuthFrame } from "./auth-frame";
import { CountryPicker, PhoneField, defaultRegion, validPhone } from "./phone-input";
import { fieldErrors } from "./sign-in";

/** 0 too short … 3 strong: length first, then variety of character classes. */
export function passwordStrength(pw: string): 0 | 1 | 2 | 3 {
  if (pw.length < 10) return 0;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (pw.length >= 16 && classes >= 2) return 3;
  if (pw.length >= 12 && classes >= 3) return 3;
  return classes >= 2 ? 2 : 1;
}

type Form = { handle: string; phone: string; displayName: string; password: string; region: string };

/** What each field needs, in the words the user sees. */
const FIELD_TEXT: Record<string, MessageKey> = {
  handle: "auth.err.handle",
  phone: "auth.err.phone",
  region: "auth.err.phone",
  displayName: "auth.err.displayName",
  password: "auth.err.password",
};

/** The fields that would be refused, each with its sentence. */
export function checkSignUp(f: Form): Record<string, string> {
  const out: Record<string, string> = {};
  if (!handleSchema.safeParse(f.handle).success) out.handle = t(FIELD_TEXT.handle!);
  if (!validPhone(f.phone, f.region)) out.phone = t(FIELD_TEXT.phone!);
  if (!displayNameSchema.safeParse(f.displayName).success) out.displayName = t(FIELD_TEXT.displayName!);
  if (f.password.length < 10) out.password = t(FIELD_TEXT.password!);
  return out;
}

export default function SignUp() {
  const form = useSignal<Form>({ handle: "", phone: "", displayName: "", password: "", region: defaultRegion() });
  const busy = useSignal(false);
  const errors = useSignal<Record<string, string>>({});
  // Changing a field takes back what was said about it (and about the form as a whole).
  const set = (k: keyof Form) => (v: string) => {
    form.value = { ...form.value, [k]: v };
    const { [k]: _, form: _f, ...rest } = errors.value;
    if (k === "region") delete rest.phone;
    errors.value = rest;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const local = checkSignUp(form.value);
    errors.value = local;
    if (Object.keys(local).length > 0) return document.getElementById(Object.keys(local)[0]!)?.focus();
    busy.value = true;
    try {
      const { user } = await call(api.api.auth.register.$post({ json: form.value }));
      // The code goes out now; if it cannot, the code screen says why and offers to send it.
      await sendCode().catch(() => undefined);
      // Signed in, the app goes on to the code screen (app.tsx).
      await signedIn(user);
    } catch (err) {
      errors.value = fieldErrors(err, FIELD_TEXT, { handle_taken: "handle", invalid_phone: "phone" });
    } finally {
      busy.value = false;
    }
  };

  const f = form.value;
  const err = errors.value;
  const strength = passwordStrength(f.password);
  return (
    <AuthFrame title={t("auth.signUp")}>
      <form class="form" onSubmit={submit} noValidate>
        <Field id="handle" label={t("auth.handle")} value={f.handle} onValue={set("handle")} hint={t("auth.handleHint")} error={err.handle} autoComplete="username" autoCapitalize="none" spellcheck={false} required />
        <CountryPicker value={f.region} onChange={set("region")} />
        <PhoneField label={t("auth.phone")} value={f.phone} region={f.region} onValue={set("phone")} error={err.phone} />
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
