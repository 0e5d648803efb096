// Regions a phone number can belong to (ISO 3166-1 alpha-2, the codes libphonenumber
// reads numbers in), named in the user's language by the browser (Intl.DisplayNames), so
// no list of names ships in either catalogue.

const CODES =
  "AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
  "DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT " +
  "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE " +
  "NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD " +
  "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

export const REGIONS: readonly string[] = CODES.split(" ");

/** Every region with its name in `locale`, in that language's alphabetical order. */
export function regionOptions(locale: string): { code: string; name: string }[] {
  const names = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames([locale], { type: "region" }) : null;
  const collator = new Intl.Collator(locale);
  return REGIONS.map((code) => ({ code, name: names?.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}

/** The region the browser's language names ("zh-CN" → CN), else the first of its languages that names one. */
export function guessRegion(languages: readonly string[] = typeof navigator === "undefined" ? [] : [navigator.language, ...(navigator.languages ?? [])]): string {
  for (const tag of languages) {
    try {
      const region = new Intl.Locale(tag).maximize().region;
      if (region && REGIONS.includes(region)) return region;
    } catch {}
  }
  return "US";
}
