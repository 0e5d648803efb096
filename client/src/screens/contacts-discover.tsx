// "Find friends from your contacts": only where the phone has the Contact Picker API
// (Chrome on Android); elsewhere it renders nothing rather than a button that cannot work
// (the import card, contacts-import.tsx, works everywhere). The list of matches is shared.
import { useSignal } from "@preact/signals";
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { type DiscoveredContact, type DiscoverySource, canPickContacts, discoverFromContacts, discovery } from "../state/discover";
import { friends, outgoing, requestFriend } from "../state/friends";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

export function FindFriends() {
  if (!canPickContacts()) return null;
  const d = discovery.value;
  const busy = d.state === "busy" && d.from === "picker";
  return (
    <section class="card form" aria-labelledby="discover-title" aria-busy={busy}>
      <h2 id="discover-title">{t("discover.title")}</h2>
      <p class="hint" id="discover-hint">{t("discover.hint")}</p>
      <button type="button" class="button" aria-describedby="discover-hint" disabled={busy} onClick={() => void discoverFromContacts()}>
        <Icon name="contacts" size={20} /> {busy ? t("discover.busy") : t("discover.pick")}
      </button>
      <DiscoveryResult from="picker" />
    </section>
  );
}

/** What the last lookup started from `from` found: an error, "none of them", or the matches with Add. */
export function DiscoveryResult({ from }: { from: DiscoverySource }) {
  const d = discovery.value;
  if (d.state === "idle" || d.from !== from) return null;
  if (d.state === "failed") return <p class="field-error" role="alert">{errorMessage(d.error)}</p>;
  if (d.state !== "done") return null;
  return (
    <>
      {from === "import" && <p class="muted" role="status">{t("import.checked", { n: d.checked, found: d.matches.length })}</p>}
      {d.matches.length === 0 ? <p class="empty small" role={from === "import" ? undefined : "status"}>{t("discover.none")}</p> : <Matches matches={d.matches} />}
    </>
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
      error.value = errorMessage(err);
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
