// One person across networks: their conversations merged in time order, a reply that goes
// where they last wrote (the hub says which), a one-tap switch to another of their handles,
// and Split, which gives every conversation back as it was.
import "../inbox/inbox.css";
import { useComputed, useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { formatTime, t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { queueMessage } from "../state/outbox";
import { type Person, personById, personPage, splitPerson } from "../state/people";
import { me } from "../state/session";
import { openThread, threadOf } from "../state/threads";
import type { StoredMessage } from "../state/types";
import { Icon } from "../ui/icons";
import { previewOf } from "../ui/preview";
import { directPeer } from "../../../core/conversation";

export default function PersonScreen({ id }: { id: string }) {
  const pid = decodeURIComponent(id);
  const { route } = useLocation();
  const page = useSignal<{ person: Person; messages: StoredMessage[] } | null>(null);
  const via = useSignal<string | null>(null);
  const text = useSignal("");
  const error = useSignal("");
  useEffect(() => {
    void personPage(pid)
      .then((p) => {
        page.value = p;
        for (const h of p.person.handles) void openThread(h.conv).catch(() => undefined);
      })
      .catch((err) => (error.value = failText(err)));
  }, [pid]);
  const person = personById(pid) ?? page.value?.person;
  // What came since the page: each handle's live thread, merged by time and deduped by id.
  const messages = useComputed(() => {
    const p = personById(pid) ?? page.value?.person;
    const byId = new Map<string, StoredMessage>();
    for (const m of page.value?.messages ?? []) byId.set(m.id, m);
    for (const h of p?.handles ?? []) for (const m of threadOf(h.conv).value.messages) byId.set(m.id, m);
    return [...byId.values()].sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0));
  });
  if (!person) return <section class="screen"><header class="topbar conv-top"><a href="/people" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a></header>{error.value && <p class="empty">{error.value}</p>}</section>;

  const chosen = person.handles.find((h) => h.conv === (via.value ?? person.replyTo?.conv)) ?? person.handles[0]!;
  const send = (e: Event) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body) return;
    text.value = "";
    const to = directPeer(chosen.conv, me.value?.id ?? "") ?? chosen.contact;
    void queueMessage(chosen.conv, to, { type: "text", text: body });
  };
  const split = async () => {
    try {
      await splitPerson(person.id);
      route("/people", true);
    } catch (err) {
      error.value = failText(err);
    }
  };
  const self = me.value?.id;
  return (
    <section class="screen conversation person-view" aria-label={person.name}>
      <header class="topbar conv-top">
        <a href="/people" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <div class="conv-title">
          <h1>{person.name}</h1>
          <span class="muted">{person.handles.map((h) => sourceLabel(h.source)).join(" · ")}</span>
        </div>
        <button type="button" class="button small end" data-split onClick={() => void split()}>{t("people.split")}</button>
      </header>
      <ol class="scroll person-messages" aria-label={t("people.allMessages")}>
        {messages.value.map((m) => (
          <li key={m.id} class={`bubble ${m.from === self ? "own" : "theirs"}`} data-msg={m.id} data-source={m.source}>
            <MessageLine m={m} />
          </li>
        ))}
      </ol>
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      <form class="composer person-composer" onSubmit={send}>
        <div class="chips" role="radiogroup" aria-labelledby="via-label">
          <span id="via-label" class="via-label">{t("people.replyVia")}</span>
          {person.handles.map((h) => (
            <button key={h.conv} type="button" role="radio" class="chip" aria-checked={h.conv === chosen.conv} data-via={h.source} onClick={() => (via.value = h.conv)}>
              {sourceLabel(h.source)}
            </button>
          ))}
        </div>
        <div class="composer-row">
          <input aria-label={t("people.replyVia") + ": " + sourceLabel(chosen.source)} value={text.value} onInput={(e) => (text.value = e.currentTarget.value)} maxLength={4000} />
          <button type="submit" class="icon-button" aria-label={t("conv.send")}><Icon name="send" /></button>
        </div>
      </form>
    </section>
  );
}

function MessageLine({ m }: { m: StoredMessage }) {
  return (
    <>
      <span class="text">{m.body.type === "text" ? m.body.text : previewOf(m.body)}</span>
      <span class="meta">
        <span class="source-badge" data-source={m.source}>{sourceLabel(m.source)}</span>
        <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at)}</time>
      </span>
    </>
  );
}
