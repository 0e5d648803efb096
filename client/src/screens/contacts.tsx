// Friends with presence, requests both ways (a sent one can be taken back), "Add friend"
// with a verification message, and finding friends from contacts.
import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { directConversationId } from "../../../core/conversation";
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { answerRequest, cancelRequest, friends, incoming, outgoing, presenceOf, requestFriend, sortedFriends } from "../state/friends";
import { me } from "../state/session";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";
import { FindFriends } from "./contacts-discover";
import { ImportContacts } from "./contacts-import";
import { remoteConversationId } from "../../../core/conversation";
import { accountContacts, accounts, loadContacts } from "../state/accounts";
import { NETWORKS } from "../ui/networks";

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
        <ImportContacts />
        <Incoming />
        <Outgoing />
        <Friends />
        <AccountContacts />
      </div>
    </section>
  );
}

/** Refusals about who the request is for; they belong under the "to" field. */
const ABOUT_TO = new Set(["user_not_found", "cannot_friend_self", "already_friends", "request_pending", "request_incoming", "invalid_input", "invalid_phone"]);

function AddFriend() {
  const to = useSignal("");
  const message = useSignal("");
  const busy = useSignal(false);
  const error = useSignal<{ field: "to" | null; text: string } | null>(null);
  /** The last request sent from this form, while it is still news (cleared by the next edit). */
  const sent = useSignal<{ id: string; to: string; name: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!to.value.trim() || busy.value) return;
    busy.value = true;
    error.value = null;
    sent.value = null;
    try {
      const request = await requestFriend(to.value, message.value);
      sent.value = { id: request.id, to: request.to.id, name: request.to.displayName || to.value.trim() };
      to.value = "";
      message.value = "";
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      error.value = { field: ABOUT_TO.has(code) ? "to" : null, text: errorMessage(err) };
    } finally {
      busy.value = false;
    }
  };
  const edit = (field: typeof to) => (e: Event) => {
    field.value = (e.currentTarget as HTMLInputElement).value;
    // What the lines below say was about the last try; typing starts a new one.
    error.value = null;
    sent.value = null;
  };
  const err = error.value;
  const s = sent.value;
  // Once they answer, "sent" would be stale: say what is true now.
  const status = !s ? "" : outgoing.value.some((r) => r.id === s.id) ? t("contacts.sent", { name: s.name }) : friends.value.some((f) => f.user.id === s.to) ? t("contacts.accepted", { name: s.name }) : "";
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="add-title" noValidate>
      <h2 id="add-title">{t("contacts.add")}</h2>
      <div class="field">
        <label for="add-to">{t("contacts.to")}</label>
        <input id="add-to" name="to" required maxLength={320} autoComplete="off" autoCapitalize="none" value={to.value} onInput={edit(to)}
          aria-invalid={err?.field === "to"} aria-describedby={err?.field === "to" ? "add-to-error" : "add-to-hint"} />
        {err?.field === "to" ? <p id="add-to-error" class="field-error" role="alert">{err.text}</p> : <p id="add-to-hint" class="hint">{t("contacts.toHint")}</p>}
      </div>
      <div class="field">
        <label for="add-message">{t("contacts.message")}</label>
        <input id="add-message" name="message" maxLength={280} value={message.value} placeholder={t("contacts.messageHint")} onInput={edit(message)} />
      </div>
      {err && !err.field && <p class="field-error" role="alert">{err.text}</p>}
      {status && <p class="ok" role="status" data-sent={s?.id}>{status}</p>}
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
      error.value = errorMessage(err);
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
  const error = useSignal("");
  const busy = useSignal<string | null>(null);
  if (list.length === 0) return null;
  const cancel = async (id: string) => {
    busy.value = id;
    error.value = "";
    try {
      await cancelRequest(id);
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      busy.value = null;
    }
  };
  return (
    <section aria-labelledby="outgoing-title">
      <h2 id="outgoing-title" class="section-title">{t("contacts.outgoing")}</h2>
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      <ul class="list">
        {list.map((r) => (
          <li class="row" key={r.id} data-outgoing={r.id}>
            <Avatar id={r.to.id} name={r.to.displayName} />
            <span class="lines">
              <span class="title">{r.to.displayName} <span class="muted">@{r.to.handle}</span></span>
              {r.message && <span class="request-message">“{r.message}”</span>}
            </span>
            <button type="button" class="button small" disabled={busy.value === r.id} aria-label={t("contacts.cancelRequestTo", { name: r.to.displayName })} onClick={() => void cancel(r.id)}>
              {t("contacts.cancelRequest")}
            </button>
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
                <Avatar id={f.user.id} name={f.user.displayName} online={presenceOf(f)} />
                <span class="lines">
                  <span class="title">{f.user.displayName}</span>
                  <span class="muted">@{f.user.handle}{presenceOf(f) === undefined ? "" : ` · ${presenceOf(f) ? t("contacts.online") : t("contacts.offline")}`}</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Each bound account's buddy list, with presence; a tap opens that conversation. */
function AccountContacts() {
  const list = accounts.value;
  useEffect(() => {
    for (const a of list) void loadContacts(a.id).catch(() => undefined);
  }, [list.map((a) => a.id).join(",")]);
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="account-contacts-title">
      <h2 id="account-contacts-title" class="section-title">{t("contacts.accounts")}</h2>
      {list.map((a) => {
        const contacts = accountContacts.value[a.id] ?? [];
        return (
          <div key={a.id} class="account-contacts" data-account={a.id}>
            <h3 class="subsection-title">
              <span class="source-badge" data-network={a.network}>{NETWORKS[a.network]?.badge ?? a.network}</span> {a.label}
            </h3>
            {contacts.length === 0 ? (
              <p class="empty small">{t("contacts.noContacts")}</p>
            ) : (
              <ul class="list">
                {contacts.map((c) => (
                  <li key={c.id}>
                    <a class="row" href={`/chat/${encodeURIComponent(remoteConversationId(a.id, c.id))}`} data-contact={c.id}>
                      <Avatar id={`${a.id}:${c.id}`} name={c.name} online={c.presence ? c.presence === "online" : undefined} />
                      <span class="lines">
                        <span class="title">{c.name}</span>
                        <span class="muted">{c.id}{c.presence ? ` · ${t(`presence.${c.presence}` as "presence.online")}` : ""}</span>
                      </span>
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </section>
  );
}
