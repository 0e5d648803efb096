// Search over everything the user has (native, groups, every bound network, mail), filtered
// by source, person and date; a hit opens its conversation at the message.
import "../inbox/inbox.css";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { formatTime, t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { accounts } from "../state/accounts";
import { people, refreshPeople } from "../state/people";
import { moreResults, runSearch, type SearchHit, searchFilters, searchQuery, searchResults } from "../state/search";
import { Icon } from "../ui/icons";

/** Where a hit opens: its conversation, scrolled to the message. */
export const hitHref = (h: SearchHit) =>
  h.mail ? `/mail/${encodeURIComponent(h.mail.id)}` : `/chat/${encodeURIComponent(h.message!.conv)}?msg=${encodeURIComponent(h.message!.id)}`;

const dayStart = (v: string) => (v ? new Date(`${v}T00:00:00`).getTime() : undefined);
const dayEnd = (v: string) => (v ? new Date(`${v}T23:59:59.999`).getTime() : undefined);

export default function Search() {
  const error = useSignal("");
  const busy = useSignal(false);
  const from = useSignal("");
  const to = useSignal("");
  useEffect(() => void refreshPeople().catch(() => undefined), []);
  const go = async (e?: Event) => {
    e?.preventDefault();
    busy.value = true;
    error.value = "";
    searchFilters.value = { ...searchFilters.value, from: dayStart(from.value), to: dayEnd(to.value) };
    try {
      await runSearch();
    } catch (err) {
      error.value = failText(err);
    } finally {
      busy.value = false;
    }
  };
  const filter = (k: "source" | "person") => (e: Event) => {
    const v = (e.currentTarget as HTMLSelectElement).value;
    searchFilters.value = { ...searchFilters.value, [k]: v || undefined };
    if (searchQuery.value.trim()) void go();
  };
  const results = searchResults.value;
  return (
    <section class="screen" aria-labelledby="search-title">
      <header class="topbar conv-top">
        <a href="/" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="search-title">{t("search.title")}</h1>
      </header>
      <form class="scroll" role="search" onSubmit={go}>
        <div class="card form">
          <div class="field">
            <label for="search-q">{t("search.words")}</label>
            <input id="search-q" type="search" enterKeyHint="search" value={searchQuery.value} onInput={(e) => (searchQuery.value = e.currentTarget.value)} />
          </div>
          <div class="field-row">
            <div class="field">
              <label for="search-source">{t("search.source")}</label>
              <select id="search-source" value={searchFilters.value.source ?? ""} onChange={filter("source")}>
                <option value="">{t("search.anywhere")}</option>
                <option value="unibox">{sourceLabel("unibox")}</option>
                {accounts.value.map((a) => <option key={a.id} value={a.id}>{sourceLabel(a.id)}</option>)}
              </select>
            </div>
            <div class="field">
              <label for="search-person">{t("search.person")}</label>
              <select id="search-person" value={searchFilters.value.person ?? ""} onChange={filter("person")}>
                <option value="">{t("search.anyone")}</option>
                {people.value.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
              </select>
            </div>
          </div>
          <div class="field-row">
            <div class="field">
              <label for="search-from">{t("search.from")}</label>
              <input id="search-from" type="date" value={from.value} onInput={(e) => (from.value = e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="search-to">{t("search.to")}</label>
              <input id="search-to" type="date" value={to.value} onInput={(e) => (to.value = e.currentTarget.value)} />
            </div>
          </div>
          <button type="submit" class="button primary wide" disabled={busy.value}>{t("search.go")}</button>
        </div>
        {error.value && <p class="field-error" role="alert">{error.value}</p>}
        {results && (
          <section aria-labelledby="hits-title" aria-live="polite">
            <h2 id="hits-title" class="section-title">{t("search.hits", { n: results.hits.length })}</h2>
            {results.hits.length === 0 && <p class="empty small">{t("search.nothing")}</p>}
            <ul class="list hits">
              {results.hits.map((h) => {
                const id = h.message?.id ?? h.mail!.id;
                const at = h.message?.at ?? h.mail!.at;
                return (
                <li key={id}>
                  <a class="row" href={hitHref(h)} data-hit={id}>
                    <span class="lines">
                      <span class="line1">
                        <span class="title">{h.title}</span>
                        <time dateTime={new Date(at).toISOString()}>{formatTime(at)}</time>
                      </span>
                      <span class="line2">
                        <span class="source-badge" data-source={h.message?.source ?? "mail"}>{h.message ? sourceLabel(h.message.source) : t("tab.mail")}</span>
                        <span class="preview">{h.snippet}</span>
                      </span>
                    </span>
                  </a>
                </li>
                );
              })}
            </ul>
            {results.before && <button type="button" class="button wide" onClick={() => void moreResults()}>{t("search.more")}</button>}
          </section>
        )}
      </form>
    </section>
  );
}
