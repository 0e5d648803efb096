// The country picker and the phone field with its dial code, shared by sign-up and
// "change number". Countries, dial codes and validity come from the same metadata the
// server reads numbers with (libphonenumber-js/min, ~20 KB gz in these lazy chunks
// only), so "valid here" means "valid there". Names are the browser's, in the UI's
// language (Intl.DisplayNames).
import { useSignal } from "@preact/signals";
import { type CountryCode, getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/min";
import { locale, t } from "../i18n";

export type Country = { region: string; dial: string; name: string; english: string; key: string };

const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/** Every country a number can be read in, named in `lang` and sorted for it. */
export function countries(lang: string): Country[] {
  const names = new Intl.DisplayNames([lang], { type: "region", fallback: "code" });
  const english = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });
  return getCountries()
    .map((region) => {
      const name = names.of(region) ?? region;
      const dial = getCountryCallingCode(region);
      const en = english.of(region) ?? region;
      return { region, dial, name, english: en, key: fold(`${name} ${en} ${region} +${dial}`) };
    })
    .sort((a, b) => a.name.localeCompare(b.name, lang));
}

/** Countries whose name (in the UI's language or English), code or dial code contains the query. */
export function matching(list: Country[], query: string): Country[] {
  const q = fold(query.trim());
  return q ? list.filter((c) => c.key.includes(q.replace(/^00/, "+"))) : list;
}

/** The country the browser's language names, else the UI's usual one. */
export function defaultRegion(): string {
  const tag = typeof navigator !== "undefined" ? navigator.language : "en-US";
  const region = tag.split("-")[1]?.toUpperCase();
  if (region && (getCountries() as string[]).includes(region)) return region;
  return locale.value === "zh-CN" ? "CN" : "US";
}

/** Whether the server will take this number: E.164 when it starts with +, else read in `region`. */
export function validPhone(phone: string, region: string): boolean {
  return parsePhoneNumberFromString(phone, region as CountryCode)?.isValid() ?? false;
}

export const dialCode = (region: string): string => getCountryCallingCode(region as CountryCode);

/** A country <select> with a search box that narrows it; picking keeps the select's own keyboard and screen-reader behaviour. */
export function CountryPicker({ value, onChange }: { value: string; onChange: (region: string) => void }) {
  const query = useSignal("");
  const all = countries(locale.value);
  const shown = matching(all, query.value);
  const current = all.find((c) => c.region === value);
  // The chosen country stays listed while the search hides it, so the select never shows something else.
  const options = current && !shown.includes(current) ? [current, ...shown] : shown;
  const search = (text: string) => {
    query.value = text;
    const first = matching(all, text)[0];
    if (first && text.trim() && !matching(all, text).some((c) => c.region === value)) onChange(first.region);
  };
  return (
    <div class="field">
      <label for="region">{t("auth.country")}</label>
      <input id="country-search" type="search" value={query.value} onInput={(e) => search(e.currentTarget.value)} placeholder={t("auth.countrySearch")} aria-label={t("auth.countrySearch")} aria-controls="region" autoComplete="off" />
      <select id="region" name="region" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map((c) => (
          <option key={c.region} value={c.region}>
            {c.name} (+{c.dial})
          </option>
        ))}
      </select>
      {shown.length === 0 && <p class="hint" role="status">{t("auth.noCountry")}</p>}
    </div>
  );
}

/** The phone field with the country's dial code inside it, in front of the national number. */
export function PhoneField({ id = "phone", label, value, region, onValue, error }: { id?: string; label: string; value: string; region: string; onValue: (v: string) => void; error?: string }) {
  const dial = `+${dialCode(region)}`;
  const describedBy = [`${id}-prefix`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="with-prefix" data-invalid={error ? "true" : undefined}>
        <span class="prefix" id={`${id}-prefix`}>{dial}</span>
        <input id={id} name={id} type="tel" inputMode="tel" value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy} autoComplete="tel-national" required />
      </div>
      {error && <p id={`${id}-error`} class="field-error">{error}</p>}
    </div>
  );
}
