// Writing a mail: from the own address or a bound mailbox, to, cc, subject, text and
// attachments; a reply quotes the mail it answers and keeps its thread, a forward carries
// its text and attachments. Everything typed is a draft in IndexedDB at once. Sending stays
// on this screen until the server says sent (then back to the list) or failed (the draft
// stays, with why, to fix and send again).
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { accounts } from "../state/accounts";
import { type Draft, type DraftFile, discardDraft, draftProblem, drafts, type Mail, newDraft, OWN, openMail, restoreMail, saveDraft, sendDraft } from "../state/mail";
import { me } from "../state/session";
import { Icon } from "../ui/icons";
import { size } from "./mail-read";
import "./mail.css";

const LIMIT = 25 * 1024 * 1024;

export default function MailCompose() {
  const { query } = useRoute();
  const { route } = useLocation();
  const id = useSignal<string | null>(null);
  const problem = useSignal<string | null>(null);
  useEffect(() => {
    void start(query).then((d) => (id.value = d.id)).catch((err: { code?: string; message?: string }) => (problem.value = errorText({ code: err.code ?? "internal", message: err.message })));
  }, [query.draft, query.reply, query.forward]);
  const draft = drafts.value.find((d) => d.id === id.value);
  // Sent: the draft is gone once the server says so.
  const wasSending = useRef(false);
  useEffect(() => {
    if (draft && (draft.state === "sending" || draft.state === "queued")) wasSending.current = true;
    if (!draft && wasSending.current) route("/mail", true);
  }, [draft?.state, !!draft]);
  return (
    <section class="screen" aria-labelledby="compose-title">
      <header class="topbar conv-top">
        <a href="/mail" class="icon-button" aria-label={t("mail.back")}><Icon name="back" /></a>
        <div class="conv-title"><h1 id="compose-title">{draft?.inReplyTo ? t("mail.reply") : t("mail.compose")}</h1></div>
      </header>
      <div class="mail-scroll">
        {problem.value && <p class="field-error mail-note" role="alert">{problem.value}</p>}
        {draft && <Form draft={draft} onDiscard={() => void discardDraft(draft.id).then(() => route("/mail"))} />}
      </div>
    </section>
  );
}

/** The draft to edit: an existing one, or a new one (a reply to or forward of a mail). */
async function start(query: Record<string, string>): Promise<Draft> {
  await restoreMail();
  const known = query.draft && drafts.value.find((d) => d.id === query.draft);
  if (known) return known;
  const source = query.reply || query.forward;
  const mail = source ? await openMail(source) : undefined;
  const draft = mail ? (query.reply ? replyTo(mail, query.all === "1") : forwardOf(mail)) : newDraft();
  await saveDraft(draft);
  return draft;
}

function quoted(mail: Mail): string {
  const when = new Date(mail.at).toLocaleString();
  const who = mail.from.name || mail.from.address;
  return `\n\n${t("mail.wrote", { when, who })}\n${mail.text.split("\n").map((l) => `> ${l}`).join("\n")}`;
}

function replyTo(mail: Mail, all: boolean): Draft {
  const to = mail.sent ? (mail.to[0]?.address ?? "") : (mail.replyTo?.[0]?.address ?? mail.from.address);
  const mine = new Set([me.value?.address, ...accounts.value.map((a) => a.remote)].filter(Boolean).map((a) => a!.toLowerCase()));
  const cc = all ? [...mail.to, ...(mail.cc ?? [])].map((a) => a.address).filter((a) => a.toLowerCase() !== to.toLowerCase() && !mine.has(a.toLowerCase())) : [];
  const subject = /^re:/i.test(mail.subject) ? mail.subject : `Re: ${mail.subject}`;
  return newDraft({ from: mail.account ?? OWN, to, cc: cc.join(", "), subject, text: quoted(mail), inReplyTo: mail.id });
}

function forwardOf(mail: Mail): Draft {
  const subject = /^fwd?:/i.test(mail.subject) ? mail.subject : `Fwd: ${mail.subject}`;
  const head = [t("mail.forwarded"), `${t("mail.fromLabel")}: ${mail.from.name ? `${mail.from.name} <${mail.from.address}>` : mail.from.address}`, `${t("mail.date")}: ${new Date(mail.at).toLocaleString()}`, `${t("mail.subject")}: ${mail.subject}`, `${t("mail.to")}: ${mail.to.map((a) => a.address).join(", ")}`];
  // Its attachments go along by id: they are in the store already, nothing is uploaded again.
  const files: DraftFile[] = mail.attachments.filter((a) => a.media).map((a) => ({ name: a.filename, mime: a.mime, size: a.size, media: a.media }));
  return newDraft({ from: mail.account ?? OWN, subject, text: `\n\n${head.join("\n")}\n\n${mail.text}`, files });
}

function Form({ draft, onDiscard }: { draft: Draft; onDiscard: () => void }) {
  const invalid = useSignal<string | null>(null);
  const busy = draft.state === "sending" || draft.state === "queued";
  const mailAccounts = accounts.value.filter((a) => a.network === "mail");
  const edit = (change: Partial<Draft>) => void saveDraft({ ...draft, ...change, ...(draft.state === "failed" ? {} : { state: "editing" as const }) });
  const addFiles = (list: FileList | null) => {
    const files = [...(list ?? [])];
    const tooBig = files.find((f) => f.size > LIMIT);
    if (tooBig) invalid.value = t("mail.error.tooLarge", { name: tooBig.name });
    edit({ files: [...draft.files, ...files.filter((f) => f.size <= LIMIT).map((f) => ({ name: f.name, mime: f.type || "application/octet-stream", size: f.size, blob: f }))] });
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const wrong = draftProblem(draft);
    invalid.value = wrong ? t(wrong) : null;
    if (!wrong) void sendDraft(draft.id);
  };
  return (
    <form class="form card mail-form" onSubmit={submit} data-draft={draft.id} data-state={draft.state} noValidate>
      {draft.state === "failed" && (
        <p class="field-error mail-failed" role="alert" data-send-error>
          {t("mail.sendFailed", { reason: errorText(draft.error ?? { code: "mail_refused" }) })}
        </p>
      )}
      <div class="field">
        <label for="mail-from">{t("mail.fromLabel")}</label>
        <select id="mail-from" value={draft.from} onChange={(e) => edit({ from: e.currentTarget.value })} disabled={busy}>
          <option value={OWN}>{me.value?.address ?? t("mail.own")}</option>
          {mailAccounts.map((a) => <option key={a.id} value={a.id}>{`${a.label} (${a.remote})`}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="mail-to">{t("mail.to")}</label>
        <input id="mail-to" type="email" inputMode="email" autoComplete="email" value={draft.to} onInput={(e) => edit({ to: e.currentTarget.value })} disabled={busy} aria-invalid={invalid.value === t("mail.error.to") || undefined} />
      </div>
      <div class="field">
        <label for="mail-cc">{t("mail.cc")}</label>
        <input id="mail-cc" type="text" inputMode="email" value={draft.cc} onInput={(e) => edit({ cc: e.currentTarget.value })} disabled={busy} aria-describedby="mail-cc-hint" />
        <p id="mail-cc-hint" class="hint">{t("mail.ccHint")}</p>
      </div>
      <div class="field">
        <label for="mail-subject-input">{t("mail.subject")}</label>
        <input id="mail-subject-input" type="text" value={draft.subject} onInput={(e) => edit({ subject: e.currentTarget.value })} disabled={busy} />
      </div>
      <div class="field">
        <label for="mail-text">{t("mail.text")}</label>
        <textarea id="mail-text" rows={10} value={draft.text} onInput={(e) => edit({ text: e.currentTarget.value })} disabled={busy} />
      </div>
      <div class="field">
        <span class="mail-files-label" id="mail-files-label">{t("mail.attachmentsLabel")}</span>
        {draft.files.length > 0 && (
          <ul class="mail-files" aria-labelledby="mail-files-label">
            {draft.files.map((f, i) => (
              <li key={`${f.name}-${i}`} class="mail-file">
                <Icon name="attach" size={18} />
                <span class="mail-file-name">{f.name}</span>
                <span class="muted">{size(f.size)}</span>
                <button type="button" class="icon-button" aria-label={t("mail.removeFile", { name: f.name })} disabled={busy} onClick={() => edit({ files: draft.files.filter((_, j) => j !== i) })}>
                  <Icon name="close" size={18} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <label class="button mail-attach">
          <Icon name="attach" size={18} />
          <span>{t("mail.attach")}</span>
          <input type="file" multiple class="pick-input" onChange={(e) => addFiles(e.currentTarget.files)} disabled={busy} aria-label={t("mail.attach")} />
        </label>
      </div>
      {invalid.value && <p class="field-error" role="alert">{invalid.value}</p>}
      <div class="mail-actions">
        <button type="button" class="button danger" onClick={onDiscard} disabled={busy}>{t("mail.discard")}</button>
        <button type="submit" class="button primary" disabled={busy} data-send>
          {busy ? t("mail.sending") : draft.state === "failed" ? t("mail.sendAgain") : t("mail.send")}
        </button>
      </div>
      {busy && <p class="hint" role="status">{t("mail.sendingHint")}</p>}
    </form>
  );
}
