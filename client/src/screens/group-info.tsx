// A group's page: its name (which members can change), who is in it, when it ends by
// itself, add friends, leave, and (creator only) end it now.
import { useSignal } from "@preact/signals";
import { useLocation, useRoute } from "preact-iso";
import { locale, t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { conversationById } from "../state/conversations";
import { sortedFriends } from "../state/friends";
import { type ClientGroup, addMembers, endGroup, expiresAt, groups, leaveGroup, renameGroup } from "../state/groups";
import { me } from "../state/session";
import { Avatar, GroupAvatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

export default function GroupInfo() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id ?? "");
  const g = groups.value[id];
  const self = me.value?.id ?? "";
  const back = g ? `/chat/${encodeURIComponent(g.conv)}` : "/";
  if (!g) {
    return (
      <section class="screen">
        <header class="topbar conv-top"><a href="/" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a></header>
        <p class="empty">{t("conv.notFound")}</p>
      </section>
    );
  }
  const closed = !!g.endedAt || !!g.left;
  return (
    <section class="screen" aria-labelledby="group-title">
      <header class="topbar conv-top">
        <a href={back} class="icon-button" aria-label={t("group.backToChat")}><Icon name="back" /></a>
        <h1 id="group-title">{t("group.info")}</h1>
      </header>
      <div class="scroll">
        <div class="card profile">
          <GroupAvatar id={g.id} size={64} />
          <div>
            <h2>{g.name ?? t("group.unnamed")}</h2>
            <p class="muted">
              {g.endedAt ? t(g.endReason === "ttl" ? "group.expiredBanner" : "group.endedBanner") : g.left ? t("group.leftBanner") : t("group.lifetime", { ttl: t(ttlKey(g.ttlHours)) })}
            </p>
            {!closed && <Expiry g={g} />}
          </div>
        </div>
        {!closed && <Rename g={g} />}
        <section aria-labelledby="members-title">
          <h2 id="members-title" class="section-title">{t("group.members", { n: g.members.length })}</h2>
          <ul class="list">
            {g.members.map((u) => (
              <li key={u.id} class="row" data-member={u.handle}>
                <Avatar id={u.id} name={u.displayName} />
                <span class="lines">
                  <span class="title">{u.id === self ? t("group.youName", { name: u.displayName }) : u.displayName}</span>
                  <span class="muted">@{u.handle}{u.id === g.owner ? ` · ${t("group.owner")}` : ""}</span>
                </span>
              </li>
            ))}
          </ul>
        </section>
        {!closed && <AddMembers groupId={g.id} present={new Set(g.members.map((u) => u.id))} />}
        {!closed && <Danger groupId={g.id} owner={g.owner === self} back={back} />}
      </div>
    </section>
  );
}

function ttlKey(h: number): "ttl.1" {
  return (`ttl.${[1, 24, 72, 168].includes(h) ? h : "n"}`) as "ttl.1";
}

const errorText = errorMessage;

/** "Ends by itself on Sat 14:05 (in 23 hours) unless someone writes." */
function Expiry({ g }: { g: ClientGroup }) {
  const at = expiresAt(g, conversationById(g.conv)?.last?.at);
  const hours = Math.max(0, Math.round((at - Date.now()) / 3_600_000));
  const when = new Date(at).toLocaleString(locale.value, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const rel = new Intl.RelativeTimeFormat(locale.value, { numeric: "auto" }).format(hours >= 48 ? Math.round(hours / 24) : hours, hours >= 48 ? "day" : "hour");
  return <p class="muted" data-expires-at={at}>{t("group.expiresAt", { when, rel })}</p>;
}

function Rename({ g }: { g: ClientGroup }) {
  const name = useSignal(g.name ?? "");
  const busy = useSignal(false);
  const status = useSignal<{ ok: boolean; text: string } | null>(null);
  const next = name.value.trim();
  const save = async (e: Event) => {
    e.preventDefault();
    if (!next || next === g.name || busy.value) return;
    busy.value = true;
    status.value = null;
    try {
      await renameGroup(g.id, next, me.value?.id);
      status.value = { ok: true, text: t("group.renamed") };
    } catch (err) {
      status.value = { ok: false, text: errorMessage(err) };
    } finally {
      busy.value = false;
    }
  };
  const s = status.value;
  return (
    <form class="card form" onSubmit={save} aria-labelledby="rename-title" noValidate>
      <h2 id="rename-title">{t("group.rename")}</h2>
      <div class="field">
        <label for="group-rename">{t("newGroup.name")}</label>
        <input id="group-rename" maxLength={64} value={name.value} onInput={(e) => ((name.value = e.currentTarget.value), (status.value = null))} />
      </div>
      {s && <p class={s.ok ? "ok" : "field-error"} role={s.ok ? "status" : "alert"}>{s.text}</p>}
      <button type="submit" class="button primary" disabled={busy.value || !next || next === g.name}>{t("account.save")}</button>
    </form>
  );
}

function AddMembers({ groupId, present }: { groupId: string; present: Set<string> }) {
  const candidates = sortedFriends.value.filter((f) => !present.has(f.user.id));
  const picked = useSignal<ReadonlySet<string>>(new Set());
  const busy = useSignal(false);
  const error = useSignal("");
  if (candidates.length === 0) return null;
  const toggle = (id: string) => {
    const next = new Set(picked.value);
    if (!next.delete(id)) next.add(id);
    picked.value = next;
  };
  const add = async () => {
    busy.value = true;
    error.value = "";
    try {
      await addMembers(groupId, [...picked.value], me.value?.id);
      picked.value = new Set();
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <section aria-labelledby="add-members-title">
      <h2 id="add-members-title" class="section-title">{t("group.add")}</h2>
      <ul class="list pick-list">
        {candidates.map((f) => (
          <li key={f.user.id}>
            <label class="row check-row" data-pick-friend={f.user.handle}>
              <Avatar id={f.user.id} name={f.user.displayName} />
              <span class="lines"><span class="title">{f.user.displayName}</span><span class="muted">@{f.user.handle}</span></span>
              <input type="checkbox" class="check" checked={picked.value.has(f.user.id)} onChange={() => toggle(f.user.id)} />
            </label>
          </li>
        ))}
      </ul>
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
      <button type="button" class="button wide add-members" disabled={busy.value || picked.value.size === 0} onClick={() => void add()}>
        <Icon name="plus" size={20} /> {t("group.addButton", { n: picked.value.size })}
      </button>
    </section>
  );
}

/** Leaving and ending ask once more, in place: a second, explicit button. */
function Danger({ groupId, owner, back }: { groupId: string; owner: boolean; back: string }) {
  const { route } = useLocation();
  const asking = useSignal<"leave" | "end" | null>(null);
  const busy = useSignal(false);
  const error = useSignal("");
  const self = me.value?.id ?? "";
  const act = async (what: "leave" | "end") => {
    busy.value = true;
    error.value = "";
    try {
      await (what === "leave" ? leaveGroup(groupId, self) : endGroup(groupId, self));
      route(back);
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
      asking.value = null;
    }
  };
  const a = asking.value;
  return (
    <div class="card form danger-zone">
      {a ? (
        <>
          <p role="alert">{t(a === "leave" ? "group.leaveConfirm" : "group.endConfirm")}</p>
          <div class="actions">
            <button type="button" class="button danger" disabled={busy.value} onClick={() => void act(a)}>{t(a === "leave" ? "group.leaveYes" : "group.endYes")}</button>
            <button type="button" class="button" onClick={() => (asking.value = null)}>{t("common.cancel")}</button>
          </div>
        </>
      ) : (
        <>
          <button type="button" class="button danger wide" onClick={() => (asking.value = "leave")}>{t("group.leave")}</button>
          {owner && <button type="button" class="button danger wide" onClick={() => (asking.value = "end")}>{t("group.end")}</button>}
        </>
      )}
      {error.value && <p class="field-error" role="alert">{error.value}</p>}
    </div>
  );
}
