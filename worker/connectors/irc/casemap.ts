// Nick and channel names compare case-insensitively under the server's CASEMAPPING
// (ISUPPORT, RFC 1459 §2.2): "rfc1459" (the default) also folds []\~ to {}|^, "strict-rfc1459"
// folds []\ only, "ascii" letters only. Chat ids are folded names, so "#Unibox" and
// "#unibox" are one conversation and "Bob" and "bob" one person.

export type CaseMapping = "ascii" | "rfc1459" | "strict-rfc1459";

export function caseMapping(value: string | undefined): CaseMapping {
  return value === "ascii" || value === "strict-rfc1459" ? value : "rfc1459";
}

export function fold(name: string, mapping: CaseMapping): string {
  let s = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (mapping === "ascii") return s;
  s = s.replace(/[[\]\\]/g, (c) => ({ "[": "{", "]": "}", "\\": "|" })[c]!);
  return mapping === "rfc1459" ? s.replaceAll("~", "^") : s;
}
