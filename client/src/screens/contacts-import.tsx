// Find friends from contacts on any phone: import a vCard (.vcf) or CSV export, or paste
// numbers. Numbers written without a country code are read in the region chosen here,
// which is shown (and guessed from the browser's language to begin with).
import { useSignal } from "@preact/signals";
import { locale, t } from "../i18n";
import { type Contact, parseContactsFile, parsePasted } from "../state/contacts-file";
import { discoverContacts, discovery } from "../state/discover";
import { Icon } from "../ui/icons";
import { guessRegion, regionOptions } from "../ui/regions";
import { DiscoveryResult } from "./contacts-discover";

/** A contacts export is text; anything much larger than a big phone book is not one. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;

export function ImportContacts() {
  const region = useSignal(guessRegion());
  const pasted = useSignal("");
  const problem = useSignal("");
  const busy = discovery.value.state === "busy" && discovery.value.from === "import";
  const check = async (contacts: Contact[]) => {
    problem.value = "";
    if (!contacts.some((c) => c.tels.length > 0)) {
      problem.value = t("import.noNumbers");
      return;
    }
    await discoverContacts(contacts, region.value);
  };
  const onFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      problem.value = t("import.tooLarge");
      return;
    }
    await check(parseContactsFile(file.name, file.type, await file.text()));
  };
  return (
    <section class="card form" aria-labelledby="import-title" aria-busy={busy}>
      <h2 id="import-title">{t("import.title")}</h2>
      <p class="hint" id="import-hint">{t("import.hint")}</p>
      <div class="field">
        <label for="import-region">{t("import.region")}</label>
        <select id="import-region" value={region.value} onChange={(e) => (region.value = e.currentTarget.value)} aria-describedby="import-region-hint">
          {regionOptions(locale.value).map((r) => <option key={r.code} value={r.code}>{r.name}</option>)}
        </select>
        <p class="hint" id="import-region-hint">{t("import.regionHint")}</p>
      </div>
      <label class="button file-button">
        <input class="pick-input" type="file" accept=".vcf,.vcard,.csv,text/vcard,text/x-vcard,text/csv" data-import-file aria-describedby="import-hint" onChange={(e) => void onFile(e)} disabled={busy} />
        <Icon name="contacts" size={20} /> {busy ? t("discover.busy") : t("import.file")}
      </label>
      <div class="field">
        <label for="import-paste">{t("import.paste")}</label>
        <textarea id="import-paste" rows={3} value={pasted.value} placeholder={t("import.pasteHint")} onInput={(e) => (pasted.value = e.currentTarget.value)} />
      </div>
      <button type="button" class="button" disabled={busy || !pasted.value.trim()} onClick={() => void check(parsePasted(pasted.value))}>
        {t("import.check")}
      </button>
      {problem.value && <p class="field-error" role="alert">{problem.value}</p>}
      <DiscoveryResult from="import" />
    </section>
  );
}
