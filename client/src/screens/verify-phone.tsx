// The code screen: six digits from a text message (typed, pasted, or filled in by the
// phone: `autocomplete="one-time-code"`, and WebOTP where the browser has it), a resend
// that counts down, and "change number". Until the number is proved nobody can find the
// account by it, so "Not now" only puts this off.
import { useSignal } from "@preact/signals";
import { parsePhoneNumberFromString } from "libphonenumber-js/min";
import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { ApiFailure } from "../state/api";
import { codeDigits, confirmCode, sendCode, verification } from "../state/phone";
import { me } from "../state/session";
import { AuthFrame } from "./auth-frame";
import { CountryPicker, PhoneField, defaultRegion, validPhone } from "./phone-input";

const pretty = (e164: string) => parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;

/** Seconds until `at`, ticking once a second while it is in the future. */
function useCountdown(at: number | undefined): number {
  const now = useSignal(Date.now());
  useEffect(() => {
    if (!at || at <= Date.now()) return;
    const timer = setInterval(() => {
      now.value = Date.now();
      if (Date.now() >= at) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [at]);
  return at ? Math.max(0, Math.ceil((at - now.value) / 1000)) : 0;
}

/** A refusal as the sentence to show; a wrong code says how many tries are left. */
function explain(err: unknown): string {
  if (!(err instanceof ApiFailure)) return t("error.generic", { message: String(err) });
  if (err.code === "network") return t("error.network");
  if (err.code === "code_wrong") return t("verify.wrong", { n: Number(err.details.attemptsLeft ?? 0) });
  if (err.code === "rate_limited" && err.retryAfter) return t("error.rateLimited", { seconds: err.retryAfter });
  return errorText(err);
}

export default function VerifyPhone() {
  const { route } = useLocation();
  const code = useSignal("");
  const error = useSignal("");
  const busy = useSignal(false);
  const changing = useSignal(false);
  const sent = verification.value;
  const wait = useCountdown(sent?.resendAt);
  const user = me.value;
  const phone = sent?.phone ?? user?.phone ?? "";

  const run = async (task: () => Promise<unknown>) => {
    busy.value = true;
    error.value = "";
    try {
      await task();
    } catch (err) {
      error.value = explain(err);
    } finally {
      busy.value = false;
    }
  };
  const submit = async (value = code.value) => {
    if (value.length !== 6) return void (error.value = t("verify.codeShape"));
    await run(async () => {
      await confirmCode(value);
      route("/", true);
    });
    // A refused code is cleared, ready for the next try.
    if (error.value) code.value = "";
  };
  const type = (text: string) => {
    code.value = codeDigits(text);
    error.value = "";
    // Six digits are the whole code: no need to find the button.
    if (code.value.length === 6 && !busy.value) void submit(code.value);
  };
  useWebOtp(sent !== null, type);

  if (user?.phoneVerified) {
    return (
      <AuthFrame title={t("verify.title")}>
        <p>{t("verify.already", { phone: pretty(phone) })}</p>
        <a class="button primary wide" href="/">{t("verify.continue")}</a>
      </AuthFrame>
    );
  }
  if (changing.value) return <ChangeNumber onDone={() => (changing.value = false)} />;
  return (
    <AuthFrame title={t("verify.title")}>
      <p id="verify-where">{sent ? t("verify.sent", { phone: pretty(phone) }) : t("verify.notSent", { phone: pretty(phone) })}</p>
      {sent ? (
        <form class="form" onSubmit={(e) => (e.preventDefault(), void submit())} noValidate>
          <div class="field">
            <label for="code">{t("verify.code")}</label>
            <input id="code" name="code" class="code-input" value={code.value} onInput={(e) => type(e.currentTarget.value)} inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]*" maxLength={6} aria-describedby="verify-where" aria-invalid={error.value ? true : undefined} autoFocus required />
          </div>
          {error.value && <p class="field-error" role="alert">{error.value}</p>}
          <button type="submit" class="button primary wide" disabled={busy.value}>{t("verify.submit")}</button>
          <button type="button" class="button wide" disabled={busy.value || wait > 0} onClick={() => run(() => sendCode())}>
            {wait > 0 ? t("verify.resendIn", { seconds: wait }) : t("verify.resend")}
          </button>
        </form>
      ) : (
        <div class="form">
          {error.value && <p class="field-error" role="alert">{error.value}</p>}
          <button type="button" class="button primary wide" disabled={busy.value} onClick={() => run(() => sendCode())}>{t("verify.send")}</button>
        </div>
      )}
      <p class="switch">
        <button type="button" class="link" onClick={() => (changing.value = true)}>{t("verify.changeNumber")}</button>
        <a href="/">{t("verify.later")}</a>
      </p>
    </AuthFrame>
  );
}

/** Texts a code to another number; the one the account has stays until the new one is proved. */
function ChangeNumber({ onDone }: { onDone: () => void }) {
  const region = useSignal<string>((me.value?.phone && parsePhoneNumberFromString(me.value.phone)?.country) || defaultRegion());
  const phone = useSignal("");
  const error = useSignal("");
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!validPhone(phone.value, region.value)) return void (error.value = t("auth.err.phone"));
    busy.value = true;
    try {
      await sendCode({ phone: phone.value, region: region.value });
      onDone();
    } catch (err) {
      error.value = explain(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <AuthFrame title={t("verify.changeNumber")}>
      <form class="form" onSubmit={submit} noValidate>
        <CountryPicker value={region.value} onChange={(r) => ((region.value = r), (error.value = ""))} />
        <PhoneField label={t("verify.newNumber")} value={phone.value} region={region.value} onValue={(v) => ((phone.value = v), (error.value = ""))} error={error.value || undefined} />
        <button type="submit" class="button primary wide" disabled={busy.value}>{t("verify.sendToNew")}</button>
        <button type="button" class="button wide" onClick={onDone}>{t("verify.cancel")}</button>
      </form>
    </AuthFrame>
  );
}

/** WebOTP (Chrome on Android): the browser reads the code from the text and hands it over. */
function useWebOtp(waiting: boolean, onCode: (code: string) => void): void {
  useEffect(() => {
    if (!waiting || typeof window === "undefined" || !("OTPCredential" in window)) return;
    const abort = new AbortController();
    const options = { otp: { transport: ["sms"] }, signal: abort.signal } as CredentialRequestOptions;
    navigator.credentials
      .get(options)
      .then((cred) => cred && "code" in cred && onCode(String(cred.code)))
      .catch(() => undefined);
    return () => abort.abort();
  }, [waiting]);
}
