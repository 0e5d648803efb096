// One broadcast's card: each recipient with where their copy got (sending, queued, sent,
// delivered, read, failed with the network's reason), Retry for the failed ones, and a way
// into each recipient's conversation.
import "../inbox/inbox.css";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { sourceLabel, sourceNetwork } from "../inbox/labels";
import { broadcasts, type ClientBroadcast, loadBroadcasts, type RecipientStatus, retryRecipient } from "../state/broadcast";
import { Icon } from "../ui/icons";

export default function BroadcastCardScreen({ id }: { id: string }) {
  const ready = useSignal(false);
  useEffect(() => void loadBroadcasts().then(() => (ready.value = true)), []);
  const b = broadcasts.value[decodeURIComponent(id)];
  return (
    <section class="screen" aria-labelledby="bcard-title">
      <header class="topbar conv-top">
        <a href="/broadcast" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="bcard-title">{t("broadcast.cardTitle")}</h1>
      </header>
      <div class="scroll">{b ? <BroadcastCard b={b} /> : ready.value && <p class="empty">{t("broadcast.gone")}</p>}</div>
    </section>
  );
}

export function BroadcastCard({ b }: { b: ClientBroadcast }) {
  const counts = summary(b.recipients);
  return (
    <article class="card broadcast-card" data-broadcast={b.id}>
      <p class="broadcast-text">{b.body.type === "text" ? b.body.text : ""}</p>
      <p class="muted" aria-live="polite" data-summary>{t("broadcast.summary", counts)}</p>
      <ul class="list recipients" aria-label={t("broadcast.recipients")}>
        {b.recipients.map((r, n) => (
          <Recipient key={n} b={b} r={r} n={n} />
        ))}
      </ul>
    </article>
  );
}

function Recipient({ b, r, n }: { b: ClientBroadcast; r: RecipientStatus; n: number }) {
  const failed = r.state === "failed";
  return (
    <li class="row recipient" data-recipient={n} data-state={r.state} data-network={sourceNetwork(r.source)}>
      <span class="lines">
        <span class="line1">
          {r.conv ? <a class="title" href={`/chat/${encodeURIComponent(r.conv)}`}>{r.name}</a> : <span class="title">{r.name}</span>}
          <span class={`recipient-state state-${r.state}`}>{t(`bstate.${r.state}`)}</span>
        </span>
        <span class="line2">
          <span class="source-badge" data-source={r.source}>{sourceLabel(r.source)}</span>
          {failed && r.reason && <span class="failed-reason" data-reason>{r.reason}</span>}
        </span>
      </span>
      {failed && r.msgId && (
        <button type="button" class="button small" data-retry={n} onClick={() => retryRecipient(b.id, n)}>
          {t("conv.retry")}
        </button>
      )}
    </li>
  );
}

function summary(rs: RecipientStatus[]): { reached: number; failed: number; going: number } {
  const reached = rs.filter((r) => r.state === "sent" || r.state === "delivered" || r.state === "read").length;
  const failed = rs.filter((r) => r.state === "failed").length;
  return { reached, failed, going: rs.length - reached - failed };
}
