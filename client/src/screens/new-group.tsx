// A new temporary group: pick friends, give it a name if you like, and say how long it
// lives without messages. The server checks that everyone picked is your friend.
import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { sortedFriends } from "../state/friends";
import { createGroup } from "../state/groups";
import { me } from "../state/session";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

/** The lifetimes offered (hours without a message); the server takes 1–168. */
export const TTL_CHOICES = [1, 24, 72, 168] as const;

export default function NewGroup() {
  const { route } = useLocation();
  const name = useSignal("");
  const ttl = useSignal<number>(24);
  const picked = useSignal<ReadonlySet<string>>(new Set());
  const busy = useSignal(false);
  const error = useSignal("");
  const list = sortedFriends.value;

  const toggle = (id: string) => {
    const next = new Set(picked.value);
    if (!next.delete(id)) next.add(id);
    picked.value = next;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (picked.value.size === 0) {
      error.value = t("newGroup.pickOne");
      return;
    }
    busy.value = true;
    error.value = "";
    try {
      const g = await createGroup({ ...(name.value.trim() ? { name: name.value.trim() } : {}), members: [...picked.value], ttlHours: ttl.value }, me.value?.id);
      route(`/chat/${encodeURIComponent(g.conv)}`, true);
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      busy.value = false;
    }
  };

  return (
    <section class="screen" aria-labelledby="new-group-title">
      <header class="topbar conv-top">
        <a href="/" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="new-group-title">{t("newGroup.title")}</h1>
      </header>
      <form class="scroll" onSubmit={submit} noValidate>
        <div class="card form">
          <div class="field">
            <label for="group-name">{t("newGroup.name")}</label>
            <input id="group-name" maxLength={64} value={name.value} placeholder={t("newGroup.nameHint")} onInput={(e) => (name.value = e.currentTarget.value)} />
          </div>
          <fieldset class="segmented" aria-describedby="ttl-hint">
            <legend>{t("newGroup.ttl")}</legend>
            {TTL_CHOICES.map((h) => (
              <label key={h} class="segment">
                <input type="radio" name="ttl" value={h} checked={ttl.value === h} onChange={() => (ttl.value = h)} />
                <span>{t(`ttl.${h}`)}</span>
              </label>
            ))}
            <p id="ttl-hint" class="hint">{t("newGroup.ttlHint")}</p>
          </fieldset>
        </div>
        <section aria-labelledby="pick-title">
          <h2 id="pick-title" class="section-title">{t("newGroup.members", { n: picked.value.size })}</h2>
          {list.length === 0 ? (
            <p class="empty small">{t("newGroup.noFriends")}</p>
          ) : (
            <ul class="list pick-list">
              {list.map((f) => (
                <li key={f.user.id}>
                  <label class="row check-row" data-pick-friend={f.user.handle}>
                    <Avatar id={f.user.id} name={f.user.displayName} />
                    <span class="lines">
                      <span class="title">{f.user.displayName}</span>
                      <span class="muted">@{f.user.handle}</span>
                    </span>
                    <input type="checkbox" class="check" checked={picked.value.has(f.user.id)} onChange={() => toggle(f.user.id)} />
                  </label>
                </li>
              ))}
            </ul>
          )}
        </section>
        {error.value && <p class="field-error" role="alert">{error.value}</p>}
        <button type="submit" class="button primary wide" disabled={busy.value || list.length === 0}>
          <Icon name="group" size={20} /> {t("newGroup.create")}
        </button>
      </form>
    </section>
  );
}
