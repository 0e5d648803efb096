// Posting by naming the network: a composer whose "To:" takes network names or account labels
// as chips, each target's limit counted as the user types with the same code the link splits
// with (core/text-length.ts, core/thread.ts: pure and zod-free, so this chunk carries them),
// a thread or an edit when a target is over, and one `send` (one target) or `broadcast`
// (several) for all. Under it, a card per post with each network's link or reason, and Retry.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { measure } from "../../../core/text-length";
import { splitForThread } from "../../../core/thread";
import { t } from "../i18n";
import { errorText } from "../i18n/errors";
import { accounts } from "../state/accounts";
import { type CardTarget, cards, dismissCard, loadNetworkInfo, type NetworkInfo, networkInfo, type PostCard, publish, restoreCards, retryTarget, type TextLimits } from "../state/social";
import type { Account } from "../state/types";
import { Icon } from "../ui/icons";
import { NETWORKS, networkName } from "../ui/networks";

export type Resolved = { ok: true; name: string; account: Account; limits?: TextLimits } | { ok: false; name: string; error: string };

/** Accounts a post can go to: those whose network has post actions (Mastodon, Bluesky), not feeds or chats. */
export const canPost = (a: Account, info: Record<string, NetworkInfo>): boolean => (info[a.network]?.actions?.length ?? 0) > 0;

/** What a name in "To:" means, as the hub reads it: an account's label first, else a network with one account. */
export function resolveTarget(name: string, all: Account[], info: Record<string, NetworkInfo>): Resolved {
  const n = name.trim().toLowerCase();
  const byLabel = all.filter((a) => a.label.toLowerCase() === n);
  const matches = byLabel.length > 0 ? byLabel : all.filter((a) => a.network === n);
  const postable = [...new Set(all.filter((a) => canPost(a, info)).map((a) => a.network))];
  if (matches.length === 0) return { ok: false, name, error: t("compose.unknown", { name, networks: postable.join(", ") || t("compose.noNetworks") }) };
  if (matches.length > 1) return { ok: false, name, error: t("compose.ambiguous", { n: matches.length, network: n, labels: matches.map((a) => a.label).join(", ") }) };
  const account = matches[0]!;
  if (!canPost(account, info)) return { ok: false, name, error: t("compose.readOnly", { name: account.label }) };
  const limits = account.limits ?? info[account.network]?.limits;
  return { ok: true, name, account, ...(limits ? { limits } : {}) };
}

/** How long `text` is on that target, and how many posts it would take as a thread. */
export function lengthOn(text: string, limits: TextLimits | undefined): { count: number; max?: number; over: number; parts: number } {
  if (!limits) return { count: [...text].length, over: 0, parts: 1 };
  const count = measure(text.trim(), limits);
  const over = Math.max(0, count - limits.max);
  const parts = over > 0 ? splitForThread(text, limits.max, (s) => measure(s, limits)).length : 1;
  return { count, max: limits.max, over, parts };
}

type Chip = { name: string; split: boolean };

/** The composer. `replyTo`: a reply to that post of the feed, through `account` (no "To:"). */
export function PostComposer({ replyTo, account, initial = "", onDone, autoFocus }: { replyTo?: string; account?: Account; initial?: string; onDone?: () => void; autoFocus?: boolean }) {
  const text = useSignal(initial);
  const chips = useSignal<Chip[]>(account ? [{ name: account.label, split: false }] : []);
  const typed = useSignal("");
  const toError = useSignal("");
  const area = useRef<HTMLTextAreaElement>(null);
  const info = networkInfo.value;
  const all = accounts.value;
  const resolved = chips.value.map((c) => ({ chip: c, r: account ? ({ ok: true, name: c.name, account, limits: account.limits ?? info[account.network]?.limits } as Resolved) : resolveTarget(c.name, all, info) }));

  const addTyped = () => {
    const names = typed.value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
    typed.value = "";
    toError.value = "";
    for (const name of names) {
      if (chips.value.some((c) => c.name.toLowerCase() === name.toLowerCase())) continue;
      const r = resolveTarget(name, all, info);
      if (!r.ok) toError.value = r.error;
      else chips.value = [...chips.value, { name, split: false }];
    }
  };
  const lengths = resolved.map(({ chip, r }) => ({ chip, r, len: lengthOn(text.value, r.ok ? r.limits : undefined) }));
  const blocked = lengths.some(({ chip, len }) => len.over > 0 && !chip.split);
  const ready = text.value.trim() !== "" && chips.value.length > 0 && resolved.every(({ r }) => r.ok) && !blocked;

  const submit = (e: Event) => {
    e.preventDefault();
    if (typed.value.trim()) addTyped();
    if (chips.value.length === 0) return void (toError.value = t("compose.needTarget"));
    if (!ready) return;
    publish(resolved.map(({ chip, r }) => ({ name: chip.name, ...(r.ok ? { network: r.account.network } : {}), ...(chip.split ? { split: true } : {}) })), { type: "text", text: text.value.trim() }, replyTo);
    text.value = "";
    onDone?.();
  };
  const setSplit = (name: string) => (chips.value = chips.value.map((c) => (c.name === name ? { ...c, split: true } : c)));

  return (
    <form class="post-composer" onSubmit={submit} aria-label={replyTo ? t("compose.replyTo", { name: account?.label ?? "" }) : t("compose.title")} data-composer={replyTo ? "reply" : "post"}>
      {!replyTo && (
        <div class="to-field">
          <label for={`to-${replyTo ?? "new"}`} class="to-label">{t("compose.to")}</label>
          <ul class="to-chips" aria-label={t("compose.toLabel")}>
            {lengths.map(({ chip, r, len }) => (
              <li key={chip.name} class="to-chip" data-target={chip.name} data-over={len.over > 0 && !chip.split ? "true" : undefined}>
                {r.ok && <span class="source-badge" data-network={r.account.network}>{NETWORKS[r.account.network]?.badge ?? r.account.network}</span>}
                <span>{chip.name}</span>
                {len.max !== undefined && <span class="count" data-count={len.count}>{chip.split && len.over > 0 ? t("compose.splitOn", { n: len.parts }) : t("compose.count", { n: len.count, max: len.max })}</span>}
                <button type="button" class="chip-remove" aria-label={t("compose.remove", { name: chip.name })} onClick={() => (chips.value = chips.value.filter((c) => c !== chip))}>
                  <Icon name="close" size={14} />
                </button>
              </li>
            ))}
          </ul>
          <input
            id={`to-${replyTo ?? "new"}`}
            class="to-input"
            list="post-targets"
            autocomplete="off"
            autoFocus={autoFocus}
            placeholder={chips.value.length === 0 ? t("compose.toHint") : ""}
            value={typed.value}
            onInput={(e) => {
              const v = e.currentTarget.value;
              typed.value = v;
              if (/[,\s]$/.test(v)) addTyped();
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                addTyped();
              } else if (e.key === "Backspace" && typed.value === "" && chips.value.length > 0) chips.value = chips.value.slice(0, -1);
            }}
            onBlur={() => typed.value.trim() && addTyped()}
          />
          <datalist id="post-targets">
            {all.filter((a) => canPost(a, info)).flatMap((a) => [a.network, a.label]).filter((v, i, l) => l.indexOf(v) === i).map((v) => <option key={v} value={v} />)}
          </datalist>
        </div>
      )}
      {toError.value && <p class="field-error" role="alert" data-to-error>{toError.value}</p>}
      <label class="sr-only" for={`post-text-${replyTo ?? "new"}`}>{t("compose.text")}</label>
      <textarea id={`post-text-${replyTo ?? "new"}`} ref={area} rows={replyTo ? 2 : 3} placeholder={t("compose.text")} value={text.value} autoFocus={autoFocus && !!replyTo} onInput={(e) => (text.value = e.currentTarget.value)} />
      {replyTo && lengths[0]?.len.max !== undefined && <span class="count reply-count">{t("compose.count", { n: lengths[0].len.count, max: lengths[0].len.max })}</span>}
      {lengths.filter(({ chip, len }) => len.over > 0 && !chip.split).map(({ chip, len }) => (
        <div key={chip.name} class="over-limit" role="status" data-over-target={chip.name}>
          <span>{t("compose.over", { name: chip.name, n: len.over, max: len.max ?? 0 })}</span>
          <button type="button" class="button small" onClick={() => setSplit(chip.name)}>{t("compose.split", { n: len.parts })}</button>
          <button type="button" class="button small ghost" onClick={() => area.current?.focus()}>{t("compose.edit")}</button>
        </div>
      ))}
      <div class="composer-actions">
        {onDone && replyTo && <button type="button" class="button ghost" onClick={onDone}>{t("compose.cancel")}</button>}
        <button type="submit" class="button primary" disabled={!ready} data-post>{t("compose.post")}</button>
      </div>
    </form>
  );
}

const STATE_KEY = { sending: "card.sending", queued: "card.queued", sent: "card.sent", failed: "card.failed" } as const;

/** A card per post: each target's state, its link once posted, its reason and Retry if it failed. */
export function PostCards() {
  const list = cards.value;
  if (list.length === 0) return null;
  return (
    <div class="post-cards">
      {list.slice(0, 5).map((c) => (
        <Card key={c.id} card={c} />
      ))}
    </div>
  );
}

function Card({ card }: { card: PostCard }) {
  const text = card.body.type === "text" ? card.body.text : "";
  return (
    <section class="post-card" data-card={card.id} aria-label={t(card.replyTo ? "card.replyTitle" : "card.title")}>
      <p class="card-text">{text.length > 140 ? `${text.slice(0, 139)}…` : text}</p>
      <ul class="card-targets">
        {card.targets.map((tg, i) => (
          <li key={tg.name} data-target={tg.name} data-state={tg.state}>
            {tg.network && <span class="source-badge" data-network={tg.network}>{NETWORKS[tg.network as Account["network"]]?.badge ?? tg.network}</span>}
            <span class="card-name">{tg.network ? networkName(tg.network) : tg.name}{tg.network && tg.name.toLowerCase() !== tg.network ? ` · ${tg.name}` : ""}</span>
            <span class="card-state" role="status">{t(STATE_KEY[tg.state], { reason: reasonOf(tg) })}</span>
            {tg.state === "sent" && tg.url && /^https?:\/\//.test(tg.url) && (
              <a href={tg.url} target="_blank" rel="noopener noreferrer" class="card-link">{t("card.view")}</a>
            )}
            {tg.state === "failed" && tg.msgId && (
              <button type="button" class="link" onClick={() => retryTarget(card.id, i)}>{t("card.retry")}</button>
            )}
          </li>
        ))}
      </ul>
      <button type="button" class="link card-dismiss" onClick={() => dismissCard(card.id)}>{t("card.dismiss")}</button>
    </section>
  );
}

/** Our sentence for the code, then the network's own words (they say what went wrong there). */
function reasonOf(tg: CardTarget): string {
  const ours = tg.code ? errorText({ code: tg.code, ...(tg.reason ? { message: tg.reason } : {}) }) : "";
  if (!tg.reason || ours === tg.reason) return ours || tg.reason || "";
  return ours ? `${ours} (${tg.reason})` : tg.reason;
}

/** `/compose`: posting "from Chats" (the Chats screen's New post button). */
export default function Compose() {
  useEffect(() => {
    void loadNetworkInfo().catch(() => undefined);
    void restoreCards();
  }, []);
  return (
    <section class="screen compose" aria-labelledby="compose-title">
      <header class="topbar conv-top">
        <a href="/" class="icon-button" aria-label={t("conv.back")}>
          <Icon name="back" />
        </a>
        <h1 id="compose-title">{t("compose.title")}</h1>
      </header>
      <div class="scroll compose-body">
        <p class="muted compose-hint">{t("compose.fromChats")}</p>
        <PostComposer autoFocus />
        <PostCards />
      </div>
    </section>
  );
}
