// Contacts from a file or from pasted text, for phones without the Contact Picker (iOS,
// desktops): a vCard export (RFC 6350, and the 2.1/3.0 files phones still write), a CSV
// export (Google Contacts, Outlook, a spreadsheet), or numbers pasted one per line. Only
// names and phone numbers are read; nothing is kept.

export type Contact = { name: string; tels: string[] };

/** At most this many numbers are read from one file (a phone book, not a directory). */
export const MAX_NUMBERS = 5000;

/** A phone number as people write it: digits with spaces, dashes, dots, brackets, maybe a +. */
const PHONEISH = /^\+?[\d\s().\-\/]{5,}$/;

export function looksLikePhone(s: string): boolean {
  const v = s.trim();
  return PHONEISH.test(v) && v.replace(/\D/g, "").length >= 5;
}

// ---- vCard ---------------------------------------------------------------------------

/** Every card's formatted name (FN, else N) and its TEL values. */
export function parseVCard(text: string): Contact[] {
  // Folded lines (RFC 6350 §3.2) continue after CRLF + space or tab; 2.1 soft breaks after "=".
  const lines = text.replace(/\r\n?/g, "\n").replace(/\n[ \t]/g, "").replace(/=\n/g, "").split("\n");
  const out: Contact[] = [];
  let card: { fn?: string; n?: string; tels: string[] } | null = null;
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const head = line.slice(0, colon);
    const value = line.slice(colon + 1);
    // "item1.TEL;TYPE=CELL" → property TEL (a group prefix and parameters aside).
    const [nameWithGroup, ...params] = head.split(";");
    const prop = nameWithGroup!.split(".").pop()!.toUpperCase();
    if (prop === "BEGIN" && value.trim().toUpperCase() === "VCARD") card = { tels: [] };
    else if (prop === "END" && card) {
      out.push({ name: (card.fn ?? card.n ?? "").trim(), tels: card.tels });
      card = null;
    } else if (card && prop === "FN") card.fn = decodeValue(value, params);
    else if (card && prop === "N") card.n = decodeValue(value, params).split(";").filter((p) => p.trim()).reverse().join(" ");
    else if (card && prop === "TEL") {
      // vCard 4 may write TEL;VALUE=uri:tel:+1-555-0100 (RFC 3966).
      const tel = decodeValue(value, params).replace(/^tel:/i, "").split(";")[0]!.trim();
      if (tel) card.tels.push(tel);
    }
  }
  return out;
}

/** Unescapes a text value (RFC 6350 §3.4) and decodes 2.1's QUOTED-PRINTABLE as UTF-8. */
function decodeValue(value: string, params: string[]): string {
  let v = value;
  if (params.some((p) => /ENCODING=QUOTED-PRINTABLE/i.test(p) || /^QUOTED-PRINTABLE$/i.test(p))) {
    const bytes: number[] = [];
    for (let i = 0; i < v.length; i++) {
      if (v[i] === "=" && /^[0-9A-F]{2}$/i.test(v.slice(i + 1, i + 3))) {
        bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(v.charCodeAt(i));
    }
    v = new TextDecoder().decode(new Uint8Array(bytes));
  }
  return v.replace(/\\n/gi, " ").replace(/\\([,;\\])/g, "$1");
}

// ---- CSV -------------------------------------------------------------------------------

/** RFC 4180 fields: quoted fields may hold commas, quotes ("") and line breaks. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const src = text.replace(/^\uFEFF/, "");
  const sep = guessSeparator(src);
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) row.push(field), (field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && src[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows.filter((r) => r.some((f) => f.trim()));
}

/** Spreadsheets in many locales write ";" (a comma is their decimal point); tabs come from copy-paste. */
function guessSeparator(text: string): string {
  const nl = text.indexOf("\n");
  const first = nl < 0 ? text : text.slice(0, nl);
  const count = (c: string) => first.split(c).length;
  return count(";") > count(",") && count(";") >= count("\t") ? ";" : count("\t") > count(",") ? "\t" : ",";
}

const PHONE_HEADER = /phone|mobile|cell|tel|手机|电话|號碼|号码/i;
const NAME_HEADER = /^(name|display ?name|full ?name|姓名|名称|名字)$/i;
const FIRST_HEADER = /^(first ?name|given ?name|名)$/i;
const LAST_HEADER = /^(last ?name|family ?name|surname|姓)$/i;

/**
 * Contacts from a CSV export: the header names the phone and name columns (Google's
 * "Phone 1 - Value" may hold several numbers joined by " ::: "). Without a header row, any
 * cell that looks like a number is one, and the row's first other cell its name.
 */
export function parseCsv(text: string): Contact[] {
  const rows = csvRows(text);
  if (rows.length === 0) return [];
  const header = rows[0]!.map((h) => h.trim());
  const phoneCols = header.map((h, i) => (PHONE_HEADER.test(h) && !/type|label|类型/i.test(h) ? i : -1)).filter((i) => i >= 0);
  if (phoneCols.length === 0) return rows.map(guessRow).filter((c) => c.tels.length > 0);
  const col = (re: RegExp) => header.findIndex((h) => re.test(h));
  const [nameCol, firstCol, lastCol] = [col(NAME_HEADER), col(FIRST_HEADER), col(LAST_HEADER)];
  return rows.slice(1).map((r) => {
    const name = nameCol >= 0 ? r[nameCol] ?? "" : [r[firstCol] ?? "", r[lastCol] ?? ""].join(" ");
    const tels = phoneCols.flatMap((i) => (r[i] ?? "").split(/\s*:::\s*/)).map((s) => s.trim()).filter(looksLikePhone);
    return { name: name.trim(), tels };
  }).filter((c) => c.tels.length > 0);
}

function guessRow(r: string[]): Contact {
  const tels = r.filter(looksLikePhone).map((s) => s.trim());
  const name = r.find((f) => f.trim() && !looksLikePhone(f))?.trim() ?? "";
  return { name, tels };
}

// ---- pasted -----------------------------------------------------------------------------

/** Numbers pasted one per line (or separated by commas or semicolons), with an optional name before each. */
export function parsePasted(text: string): Contact[] {
  return text.split(/[\n,;]+/).map((part) => {
    const m = /^(.*?)(\+?[\d(][\d\s().\-\/]{4,})\s*$/.exec(part.trim());
    return m && looksLikePhone(m[2]!) ? { name: m[1]!.replace(/[:\-–]\s*$/, "").trim(), tels: [m[2]!.trim()] } : null;
  }).filter((c): c is Contact => c !== null);
}

/** Reads a file as contacts: by its name or type, else by what it starts with. */
export function parseContactsFile(name: string, type: string, text: string): Contact[] {
  const vcard = /\.(vcf|vcard)$/i.test(name) || /vcard/i.test(type) || /^\s*BEGIN:VCARD/i.test(text);
  return vcard ? parseVCard(text) : parseCsv(text);
}
