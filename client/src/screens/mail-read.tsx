// One mail: who from and to, whether the sender's domain vouched for it, the body (HTML
// sanitised in a sandboxed frame with remote images blocked until asked for, else the
// text), its attachments as downloads, and reply, reply all and forward.
import { useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { useRoute } from "preact-iso";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { directConversationId } from "../../../core/conversation";
import { friends } from "../state/friends";
import { me } from "../state/session";
import { attachmentUrl, type Mail, openMail, openedMails, setRead } from "../state/mail";
import { Icon } from "../ui/icons";
import { prepareHtml } from "./mail-html";
import "./mail.css";

export default function MailRead() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id ?? "");
  const error = useSignal<string | null>(null);
  const mail = openedMails.value[id];
  useEffect(() => {
    error.value = null;
    void openMail(id).then(
      (m) => {
        if (!m.sent && !m.read) void setRead(id).catch(() => undefined);
      },
      (err: { code?: string; message?: string }) => (error.value = errorText({ code: err.code ?? "internal", message: err.message })),
    );
  }, [id]);
  return (
    <section class="screen" aria-labelledby="mail-subject">
      <header class="topbar conv-top">
        <a href="/mail" class="icon-button" aria-label={t("mail.back")}><Icon name="back" /></a>
        <div class="conv-title"><h1 id="mail-subject">{mail ? mail.subject || t("mail.noSubject") : t("mail.title")}</h1></div>
      </header>
      <div class="mail-scroll">
        {error.value && <p class="field-error mail-note" role="alert">{error.value}</p>}
        {!mail && !error.value && <p class="empty small" aria-busy="true">{t("mail.loading")}</p>}
        {mail && <Reading mail={mail} />}
      </div>
    </section>
  );
}

const names = (list: Mail["to"] | undefined) => (list ?? []).map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(", ");

function Reading({ mail }: { mail: Mail }) {
  // A friend's own Unibox address, and only when their domain (ours) vouched for the mail.
  const friend = mail.verdict === "authenticated" ? friends.value.find((f) => f.user.address.toLowerCase() === mail.from.address.toLowerCase()) : undefined;
  return (
    <article class="mail-reading" data-mail={mail.id}>
      <div class="card mail-head">
        <p class="mail-from"><strong>{mail.from.name || mail.from.address}</strong>{mail.from.name && <span class="muted"> &lt;{mail.from.address}&gt;</span>}</p>
        <p class="muted">{t("mail.to")}: {names(mail.to)}</p>
        {mail.cc?.length ? <p class="muted">{t("mail.cc")}: {names(mail.cc)}</p> : null}
        <p class="muted"><time dateTime={new Date(mail.at).toISOString()}>{new Date(mail.at).toLocaleString()}</time></p>
        {mail.verdict === "possibly_forged" && (
          <p class="mail-warning" role="note"><Icon name="alert" size={18} /> {t("mail.forged", { address: mail.from.address })}</p>
        )}
        {friend && me.value && <a class="button small" href={`/chat/${encodeURIComponent(directConversationId(me.value.id, friend.user.id))}`}>{t("mail.friend", { name: friend.user.displayName })}</a>}
        {mail.sent && mail.state === "failed" && <p class="field-error" role="alert">{errorText(mail.error ?? { code: "mail_refused" })}</p>}
      </div>
      <Body mail={mail} />
      <Attachments mail={mail} />
      <nav class="mail-actions" aria-label={t("mail.actions")}>
        <a class="button" href={`/mail/new?reply=${encodeURIComponent(mail.id)}`} data-reply>{t("mail.reply")}</a>
        {(mail.cc?.length || mail.to.length > 1) && <a class="button" href={`/mail/new?reply=${encodeURIComponent(mail.id)}&all=1`}>{t("mail.replyAll")}</a>}
        <a class="button" href={`/mail/new?forward=${encodeURIComponent(mail.id)}`} data-forward>{t("mail.forward")}</a>
      </nav>
    </article>
  );
}

function Body({ mail }: { mail: Mail }) {
  const allow = useSignal(false);
  const frame = useRef<HTMLIFrameElement>(null);
  const prepared = useMemo(() => {
    if (!mail.html) return null;
    const inline = new Map(mail.attachments.filter((a) => a.contentId && a.media && a.type === "image").map((a) => [a.contentId!.replace(/^<|>$/g, ""), `/api/media/${encodeURIComponent(a.media)}`]));
    return prepareHtml(mail.html, { allowRemote: allow.value, cid: (c) => inline.get(c), origin: location.origin });
  }, [mail.html, allow.value]);
  if (!prepared) return <pre class="card mail-text">{mail.text}</pre>;
  const fit = () => {
    const doc = frame.current?.contentDocument;
    if (doc && frame.current) frame.current.style.height = `${doc.documentElement.scrollHeight + 4}px`;
  };
  return (
    <div class="mail-body">
      {prepared.blocked > 0 && !allow.value && (
        <p class="mail-blocked" role="note">
          <span>{t("mail.imagesBlocked", { n: prepared.blocked })}</span>
          <button type="button" class="button small" onClick={() => (allow.value = true)} data-show-images>{t("mail.showImages")}</button>
        </p>
      )}
      {/* No allow-scripts: nothing in a mail runs. Same origin so it can be measured, and so its own pictures load. */}
      <iframe ref={frame} class="mail-frame" title={t("mail.bodyFrame")} sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" srcdoc={prepared.doc} onLoad={fit} />
    </div>
  );
}

function Attachments({ mail }: { mail: Mail }) {
  if (mail.attachments.length === 0) return null;
  return (
    <section class="card" aria-labelledby="mail-files">
      <h2 id="mail-files">{t("mail.attachments", { n: mail.attachments.length })}</h2>
      <ul class="mail-files">
        {mail.attachments.map((a, i) => (
          <li key={`${a.media}-${i}`}>
            {a.media ? (
              <a class="mail-file" href={attachmentUrl(mail.id, a.media)} download={a.filename} data-attachment={a.filename}>
                <Icon name="attach" size={18} />
                <span class="mail-file-name">{a.filename}</span>
                <span class="muted">{size(a.size)}</span>
              </a>
            ) : (
              <span class="mail-file missing"><Icon name="alert" size={18} /><span class="mail-file-name">{a.filename}</span><span class="muted">{t("mail.notKept")}</span></span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
