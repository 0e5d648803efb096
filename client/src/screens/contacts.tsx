// Friends with presence, requests both ways, and "Add friend" with a verification message.
import { useSignal } from "@preact/signals";
import { directConversationId } from "../../../core/conversation";
import { t } from "../i18n";
import { ApiFailure } from "../state/api";
import { answerRequest, incoming, outgoing, requestFriend, sortedFriends } from "../state/friends";
import { me } from "../state/session";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";
import { FindFriends } from "./contacts-discover";

export default function Contacts() {
  return (
    <section class="screen" aria-labelledby="contacts-title">
      <header class="topbar">
        <h1 id="contacts-title">{t("contacts.title")}</h1>
        <a href="/people" class="icon-button end" aria-label={t("people.title")} data-people>
          <Icon name="people" />
        </a>
      </header>
      <div class="scroll">
        <AddFriend />
        <FindFriends />
        <Incoming />
        <Outgoing />
        <Friends />
      </div>
    </section>
  );
}

function errorText(err: unknown): string {
  if (err instanceof ApiFailure) return err.code === "network" ? t("error.network") : err.message;
  return t("error.generic", { message: String(err) });
}

function AddFriend() {
  const to = useSignal("");
  const message = useSignal("");
  const busy = useSignal(false);
  const error = useSignal<{ field: "to" | "message" | null; text: string } | null>(null);
  const done = useSignal("");
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = null;
    done.value = "";
    try {
      await requestFriend(to.value, message.value);
      done.value = t("contacts.sent", { name: to.value.trim() });
      to.value = "";
      message.value = "";
    } catch (err) {
      const field = err instanceof ApiFailure && err.field("message") ? "message" : err instanceof ApiFailure && err.code !== "network" ? "to" : null;
      error.value = { field, text: err instanceof ApiFailure && field ? (err.field(field) ?? err.message) : errorText(err) };
    } finally {
      busy.value = false;
    }
  };
  const err = error.value;
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="add-title" noValidate>
      <h2 id="add-title">{t("contacts.add")}</h2>
      <div class="field">
        <label for="add-to">{t("contacts.to")}</label>
        <input id="add-to" name="to" required autoComplete="off" autoCapitalize="none" value={to.value} onInput={(e) => (to.value = e.currentTarget.value)}
          aria-invalid={err?.field === "to"} aria-describedby={err?.field === "to" ? "add-to-error" : "add-to-hint"} />
        {err?.field === "to" ? <p id="add-to-error" class="field-error">{err.text}</p> : <p id="add-to-hint" class="hint">{t("contacts.toHint")}</p>}
      </div>
      <div class="field">
        <label for="add-message">{t("contacts.message")}</label>
        <input id="add-message" name="message" maxLength={280} value={message.value} placeholder={t("contacts.messageHint")} onInput={(e) => (message.value = e.currentTarget.value)}
          aria-invalid={err?.field === "message"} aria-describedby={err?.field === "message" ? "add-message-error" : undefined} />
        {err?.field === "message" && <p id="add-message-error" class="field-error">{err.text}</p>}
      </div>
      {err && !err.field && <p class="field-error" role="alert">{err.text}</p>}
      {done.value && <p class="ok" role="status">{done.value}</p>}
      <button type="submit" class="button primary" disabled={busy.value || !to.value.trim()}>
        <Icon name="plus" size={20} /> {t("contacts.send")}
      </button>
    </form>
  );
}

function Incoming() {
  const list = incoming.value;
  const error = useSignal("");
  if (list.length === 0) return null;
  const answer = async (id: string, decision: "accept" | "decline") => {
    error.value = "";
    try {
      await answerRequest(id, decision);
    } catch (err) {
      error.value = errorText(err);
    }
  };
  return (
    <section aria-labelledby="incoming-title">
      <h2 id="incoming-title" class="section-title">{t("contacts.incoming")}</h2>
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      <ul class="list">
        {list.map((r) => (
          <li class="row request" key={r.id} data-request={r.id}>
            <Avatar id={r.from.id} name={r.from.displayName} />
            <span class="lines">
              <span class="title">{r.from.displayName} <span class="muted">@{r.from.handle}</span></span>
              {r.message && <span class="request-message">“{r.message}”</span>}
              <span class="actions">
                <button type="button" class="button primary small" onClick={() => void answer(r.id, "accept")}>{t("contacts.accept")}</button>
                <button type="button" class="button small" onClick={() => void answer(r.id, "decline")}>{t("contacts.decline")}</button>
              </span>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Outgoing() {
  const list = outgoing.value;
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="outgoing-title">
      <h2 id="outgoing-title" class="section-title">{t("contacts.outgoing")}</h2>
      <ul class="list">
        {list.map((r) => (
          <li class="row" key={r.id}>
            <Avatar id={r.to.id} name={r.to.displayName} />
            <span class="lines">
              <span class="title">{r.to.displayName} <span class="muted">@{r.to.handle}</span></span>
              {r.message && <span class="request-message">“{r.message}”</span>}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Friends() {
  const list = sortedFriends.value;
  const self = me.value?.id ?? "";
  return (
    <section aria-labelledby="friends-title">
      <h2 id="friends-title" class="section-title">{t("contacts.friends")}</h2>
      {list.length === 0 ? (
        <p class="empty small">{t("contacts.noFriends")}</p>
      ) : (
        <ul class="list">
          {list.map((f) => (
            <li key={f.user.id}>
              <a class="row" href={`/chat/${encodeURIComponent(directConversationId(self, f.user.id))}?to=${encodeURIComponent(f.user.id)}`} data-friend={f.user.handle}>
                <Avatar id={f.user.id} name={f.user.displayName} online={f.online} />
                <span class="lines">
                  <span class="title">{f.user.displayName}</span>
                  <span class="muted">@{f.user.handle} · {f.online ? t("contacts.online") : t("contacts.offline")}</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
