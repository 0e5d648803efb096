// People: merges Unibox proposes (the same phone number, the same address, the same name
// on several networks), each confirmed or turned down by the user, and the people merged so
// far. A person opens one view over all their conversations (screens/person.tsx).
import "../inbox/inbox.css";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { dismissSuggestion, type MergeSuggestion, mergePeople, people, refreshPeople, suggestions } from "../state/people";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

export default function People() {
  const error = useSignal("");
  const loaded = useSignal(false);
  useEffect(() => {
    void refreshPeople()
      .catch((err) => (error.value = failText(err)))
      .finally(() => (loaded.value = true));
  }, []);
  return (
    <section class="screen" aria-labelledby="people-title">
      <header class="topbar conv-top">
        <a href="/contacts" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="people-title">{t("people.title")}</h1>
      </header>
      <div class="scroll">
        {error.value && <p class="field-error" role="alert">{error.value}</p>}
        {suggestions.value.length > 0 && (
          <section aria-labelledby="suggest-title">
            <h2 id="suggest-title" class="section-title">{t("people.suggested")}</h2>
            {suggestions.value.map((s) => <Suggestion key={s.key} s={s} onError={(m) => (error.value = m)} />)}
          </section>
        )}
        <section aria-labelledby="merged-title">
          <h2 id="merged-title" class="section-title">{t("people.merged")}</h2>
          {loaded.value && people.value.length === 0 && <p class="empty small">{t("people.none")}</p>}
          <ul class="list">
            {people.value.map((p) => (
              <li key={p.id}>
                <a class="row" href={`/person/${encodeURIComponent(p.id)}`} data-person={p.id}>
                  <Avatar id={p.id} name={p.name} />
                  <span class="lines">
                    <span class="title">{p.name}</span>
                    <span class="muted">{p.handles.map((h) => sourceLabel(h.source)).join(" · ")}</span>
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}

function Suggestion({ s, onError }: { s: MergeSuggestion; onError: (message: string) => void }) {
  const busy = useSignal(false);
  const act = (fn: () => Promise<unknown>) => async () => {
    busy.value = true;
    try {
      await fn();
    } catch (err) {
      onError(failText(err));
    } finally {
      busy.value = false;
    }
  };
  return (
    <article class="card suggestion" data-suggestion={s.reason}>
      <p>{t(`people.reason.${s.reason}`, { value: s.value })}</p>
      <ul class="plain">
        {s.handles.map((h) => (
          <li key={`${h.source}/${h.contact}`}>
            <strong>{h.name}</strong> <span class="muted">{h.contact} · {sourceLabel(h.source)}</span>
          </li>
        ))}
      </ul>
      <div class="sheet-actions">
        <button type="button" class="button" disabled={busy.value} onClick={act(() => dismissSuggestion(s.key))}>{t("people.notSame")}</button>
        <button type="button" class="button primary" disabled={busy.value} data-merge onClick={act(() => mergePeople(s.handles.map(({ source, contact }) => ({ source, contact })), undefined, s.key))}>
          {t("people.merge")}
        </button>
      </div>
    </article>
  );
}
