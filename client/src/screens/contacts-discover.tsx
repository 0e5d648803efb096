// "Find friends from your contacts": only where the phone has the Contact Picker API
// (Chrome on Android); elsewhere it renders nothing rather than a button that cannot work.
import { useSignal } from "@preact/signals";
import { t } from "../i18n";
import { ApiFailure } from "../state/api";
import { type DiscoveredContact, canPickContacts, discoverFromContacts, discovery } from "../state/discover";
import { friends, outgoing, requestFriend } from "../state/friends";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

function errorText(err: unknown): string {
  if (!(err instanceof ApiFailure)) return t("error.generic", { message: String(err) });
  if (err.code === "network") return t("error.network");
  if (err.code === "rate_limited") return t("error.rateLimited", { seconds: err.retryAfter ?? 60 });
  return err.message;
}

export function FindFriends() {
  if (!canPickContacts()) return null;
  const d = discovery.value;
  const busy = d.state === "busy";
  return (
    <section class="card form" aria-labelledby="discover-title" aria-busy={busy}>
      <h2 id="discover-title">{t("discover.title")}</h2>
      <p class="hint" id="discover-hint">{t("discover.hint")}</p>
      <button type="button" class="button" aria-describedby="discover-hint" disabled={busy} onClick={() => void discoverFromContacts()}>
        <Icon name="contacts" size={20} /> {busy ? t("discover.busy") : t("discover.pick")}
      </button>
      {d.state === "failed" && <p class="field-error" role="alert">{errorText(d.error)}</p>}
      {d.state === "done" && (d.matches.length === 0 ? <p class="empty small" role="status">{t("discover.none")}</p> : <Matches matches={d.matches} />)}
    </section>
  );
}

function Matches({ matches }: { matches: DiscoveredContact[] }) {
  const error = useSignal("");
  const sending = useSignal<string | null>(null);
  const add = async (m: DiscoveredContact) => {
    error.value = "";
    sending.value = m.user.id;
    try {
      await requestFriend(m.number, "");
    } catch (err) {
      error.value = errorText(err);
    } finally {
      sending.value = null;
    }
  };
  const friendIds = new Set(friends.value.map((f) => f.user.id));
  const requestedIds = new Set(outgoing.value.map((r) => r.to.id));
  return (
    <>
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      <ul class="list" aria-label={t("discover.found")}>
        {matches.map((m) => (
          <li class="row" key={m.user.id} data-match={m.user.handle}>
            <Avatar id={m.user.id} name={m.name} />
            <span class="lines">
              <span class="title">{m.name}</span>
              <span class="muted">@{m.user.handle}</span>
            </span>
            {m.friend || friendIds.has(m.user.id) ? (
              <span class="muted">{t("discover.isFriend")}</span>
            ) : requestedIds.has(m.user.id) ? (
              <span class="muted">{t("discover.requested")}</span>
            ) : (
              <button type="button" class="button primary small" aria-label={t("discover.addName", { name: m.name })} disabled={sending.value === m.user.id} onClick={() => void add(m)}>
                {t("discover.add")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
