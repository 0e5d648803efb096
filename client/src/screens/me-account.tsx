// The account cards on Me: change the display name, change the password (which signs out
// the other devices), and sign out every other device. Each checks what it can before it
// asks the server, and says the server's answer in a sentence.
import { useSignal } from "@preact/signals";
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { DISPLAY_NAME_MAX, PASSWORD_MIN, changePassword, endOtherSessions, renameMe } from "../state/profile";
import { me } from "../state/session";

type Status = { kind: "ok" | "error"; text: string; field?: string } | null;

function StatusLine({ s, id }: { s: Status; id: string }) {
  if (!s || s.field) return null;
  return s.kind === "ok" ? <p class="ok" role="status" id={id}>{s.text}</p> : <p class="field-error" role="alert" id={id}>{s.text}</p>;
}

export function EditName() {
  const name = useSignal(me.value?.displayName ?? "");
  const busy = useSignal(false);
  const status = useSignal<Status>(null);
  const trimmed = name.value.trim();
  const changed = trimmed !== (me.value?.displayName ?? "");
  const save = async (e: Event) => {
    e.preventDefault();
    if (!trimmed) {
      status.value = { kind: "error", text: t("account.nameEmpty"), field: "name" };
      return;
    }
    if (!changed || busy.value) return;
    busy.value = true;
    status.value = null;
    try {
      await renameMe(trimmed);
      status.value = { kind: "ok", text: t("account.nameSaved") };
    } catch (err) {
      status.value = { kind: "error", text: errorMessage(err) };
    } finally {
      busy.value = false;
    }
  };
  const s = status.value;
  return (
    <form class="card form" onSubmit={save} aria-labelledby="name-title" noValidate>
      <h2 id="name-title">{t("account.name")}</h2>
      <div class="field">
        <label for="display-name">{t("auth.displayName")}</label>
        <input id="display-name" value={name.value} maxLength={DISPLAY_NAME_MAX} autoComplete="name"
          aria-invalid={s?.field === "name" || undefined} aria-describedby={s?.field === "name" ? "display-name-error" : undefined}
          onInput={(e) => {
            name.value = e.currentTarget.value;
            status.value = null;
          }} />
        {s?.field === "name" && <p id="display-name-error" class="field-error" role="alert">{s.text}</p>}
      </div>
      <StatusLine s={s} id="name-status" />
      <button type="submit" class="button primary" disabled={busy.value || !changed}>{t("account.save")}</button>
    </form>
  );
}

export function ChangePassword() {
  const current = useSignal("");
  const next = useSignal("");
  const busy = useSignal(false);
  const status = useSignal<Status>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!current.value) return void (status.value = { kind: "error", text: t("account.currentNeeded"), field: "current" });
    if (next.value.length < PASSWORD_MIN) return void (status.value = { kind: "error", text: t("account.passwordShort", { n: PASSWORD_MIN }), field: "next" });
    if (next.value === current.value) return void (status.value = { kind: "error", text: t("account.passwordSame"), field: "next" });
    busy.value = true;
    status.value = null;
    try {
      const n = await changePassword(current.value, next.value);
      current.value = "";
      next.value = "";
      status.value = { kind: "ok", text: t("account.passwordChanged", { n }) };
    } catch (err) {
      const wrong = (err as { code?: string }).code === "invalid_credentials";
      status.value = { kind: "error", text: wrong ? t("account.currentWrong") : errorMessage(err), ...(wrong ? { field: "current" } : {}) };
    } finally {
      busy.value = false;
    }
  };
  const s = status.value;
  const input = (id: "current" | "next", label: string, value: typeof current, autoComplete: string) => (
    <div class="field">
      <label for={`password-${id}`}>{label}</label>
      <input id={`password-${id}`} type="password" value={value.value} autoComplete={autoComplete}
        aria-invalid={s?.field === id || undefined} aria-describedby={s?.field === id ? `password-${id}-error` : id === "next" ? "password-next-hint" : undefined}
        onInput={(e) => {
          value.value = e.currentTarget.value;
          status.value = null;
        }} />
      {s?.field === id ? <p id={`password-${id}-error`} class="field-error" role="alert">{s.text}</p> : id === "next" ? <p id="password-next-hint" class="hint">{t("account.passwordHint", { n: PASSWORD_MIN })}</p> : null}
    </div>
  );
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="password-title" noValidate>
      <h2 id="password-title">{t("account.password")}</h2>
      {input("current", t("account.currentPassword"), current, "current-password")}
      {input("next", t("account.newPassword"), next, "new-password")}
      <StatusLine s={s} id="password-status" />
      <button type="submit" class="button primary" disabled={busy.value || !current.value || !next.value}>{t("account.changePassword")}</button>
    </form>
  );
}

export function OtherDevices() {
  const busy = useSignal(false);
  const status = useSignal<Status>(null);
  const end = async () => {
    busy.value = true;
    status.value = null;
    try {
      const n = await endOtherSessions();
      status.value = { kind: "ok", text: t("account.signedOutOthers", { n }) };
    } catch (err) {
      status.value = { kind: "error", text: errorMessage(err) };
    } finally {
      busy.value = false;
    }
  };
  return (
    <div class="card form" aria-labelledby="devices-title" role="group">
      <h2 id="devices-title">{t("account.devices")}</h2>
      <p class="hint" id="devices-hint">{t("account.devicesHint")}</p>
      <StatusLine s={status.value} id="devices-status" />
      <button type="button" class="button" aria-describedby="devices-hint" disabled={busy.value} onClick={() => void end()}>{t("account.endOthers")}</button>
    </div>
  );
}
