// The Mail tab: the own address and each bound mailbox (chips), newest first with unread
// marked, and the outbox of drafts still on their way (or failed, with why). New mail
// arrives live; the first page comes over HTTP and older ones on "Show older".
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { formatTime, t } from "../i18n";
import { errorText } from "../i18n/errors";
import { accounts } from "../state/accounts";
import { ALL, type Draft, drafts, listOf, loadMail, type MailSummary, mailbox, OWN, restoreMail } from "../state/mail";
import { me } from "../state/session";
import { Icon } from "../ui/icons";
import "./mail.css";

export default function MailTab() {
  const box = mailbox.value;
  const failed = useSignal<string | null>(null);
  useEffect(() => {
    void restoreMail().then(() => loadMail(box)).then(
      () => (failed.value = null),
      (err: { code?: string; message?: string }) => (failed.value = errorText({ code: err.code ?? "internal", message: err.message })),
    );
  }, [box]);
  return (
    <section class="screen" aria-labelledby="mail-title">
      <header class="topbar">
        <h1 id="mail-title">{t("mail.title")}</h1>
        <a href="/mail/new" class="icon-button end" aria-label={t("mail.compose")} data-compose>
          <Icon name="plus" />
        </a>
      </header>
      <Mailboxes />
      <div class="mail-scroll">
        <Outbox />
        {failed.value && <p class="field-error mail-note" role="alert">{failed.value}</p>}
        <MailList box={box} />
      </div>
    </section>
  );
}

function Mailboxes() {
  const current = mailbox.value;
  const mailAccounts = accounts.value.filter((a) => a.network === "mail");
  const chip = (value: string, label: string) => (
    <button type="button" class="chip" aria-pressed={current === value} onClick={() => (mailbox.value = value)} data-mailbox={value}>
      {label}
    </button>
  );
  return (
    <div class="chips" role="group" aria-label={t("mail.mailboxes")}>
      {chip(ALL, t("mail.all"))}
      {chip(OWN, me.value?.address ?? t("mail.own"))}
      {mailAccounts.map((a) => chip(a.id, a.label || a.remote))}
    </div>
  );
}

function Outbox() {
  const list = drafts.value.filter((d) => d.state !== "editing" || d.text || d.subject || d.to).sort((a, b) => b.updatedAt - a.updatedAt);
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="outbox-title" class="mail-outbox">
      <h2 id="outbox-title" class="section-title">{t("mail.outbox")}</h2>
      <ul class="list">
        {list.map((d) => <DraftRow key={d.id} d={d} />)}
      </ul>
    </section>
  );
}

function DraftRow({ d }: { d: Draft }) {
  const status = d.state === "failed" ? errorText(d.error ?? { code: "mail_refused" }) : d.state === "editing" ? t("mail.draft") : t("mail.sending");
  return (
    <li>
      <a class="row mail-row" href={`/mail/new?draft=${encodeURIComponent(d.id)}`} data-draft={d.id} data-state={d.state}>
        <span class="lines">
          <span class="line1"><span class="title">{d.to || t("mail.noRecipient")}</span></span>
          <span class="line2"><span class="preview">{d.subject || t("mail.noSubject")}</span></span>
          <span class={d.state === "failed" ? "mail-status failed" : "mail-status"}>
            {d.state === "failed" && <Icon name="alert" size={16} />}
            {status}
          </span>
        </span>
      </a>
    </li>
  );
}

function MailList({ box }: { box: string }) {
  const list = listOf(box);
  const loadingMore = useSignal(false);
  if (!list.loaded && list.mails.length === 0) {
    return <p class="empty small" aria-busy="true">{t("mail.loading")}</p>;
  }
  if (list.mails.length === 0) {
    return (
      <div class="empty">
        <h2>{t("mail.empty.title")}</h2>
        <p>{t("mail.empty.body", { address: me.value?.address ?? "" })}</p>
      </div>
    );
  }
  return (
    <>
      <ul class="list" aria-labelledby="mail-title">
        {list.mails.map((m) => <MailRow key={m.id} m={m} />)}
      </ul>
      {list.before && (
        <button type="button" class="button wide mail-more" disabled={loadingMore.value} onClick={() => {
          loadingMore.value = true;
          void loadMail(box, true).finally(() => (loadingMore.value = false));
        }}>
          {t("mail.older")}
        </button>
      )}
    </>
  );
}

function MailRow({ m }: { m: MailSummary }) {
  const unread = !m.sent && m.read === false;
  const who = m.sent ? t("mail.toWhom", { name: m.to.map((a) => a.name || a.address).join(", ") }) : m.from.name || m.from.address;
  return (
    <li>
      <a class={unread ? "row mail-row unread" : "row mail-row"} href={`/mail/${encodeURIComponent(m.id)}`} data-mail={m.id}>
        <span class="unread-dot" aria-hidden="true" />
        <span class="lines">
          <span class="line1">
            <span class="title">{who}</span>
            <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at)}</time>
          </span>
          <span class="line2">
            {unread && <span class="sr-only">{t("mail.unread")}</span>}
            {m.verdict === "possibly_forged" && <Icon name="alert" size={16} />}
            <span class="mail-subject">{m.subject || t("mail.noSubject")}</span>
            {m.attachments ? <span class="mail-clip"><Icon name="attach" size={16} /><span class="sr-only">{t("mail.attachments", { n: m.attachments })}</span></span> : null}
          </span>
          <span class="preview">{m.sent && m.state !== "sent" ? (m.state === "failed" ? t("mail.failed") : t("mail.sending")) : m.snippet}</span>
        </span>
      </a>
    </li>
  );
}
