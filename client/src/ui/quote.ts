// A reply quotes what it answers in its first line, "> Name: snippet", as mail and
// Markdown do: the body schema has no reply field, and this way any client (or a bridged
// network) still shows something sensible.

const QUOTE = /^> (.*)\n/;
const SNIPPET_CHARS = 80;

/** The quoted line (without "> ") and the reply's own text. */
export function splitQuote(text: string): { quote: string | null; rest: string } {
  const m = QUOTE.exec(text);
  return m ? { quote: m[1]!, rest: text.slice(m[0].length) } : { quote: null, rest: text };
}

/** The line a reply starts with: who said it and the start of what they said (its own quote left out). */
export function quoteLine(name: string, said: string): string {
  const own = splitQuote(said).rest.replace(/\s+/g, " ").trim();
  const snippet = own.length > SNIPPET_CHARS ? `${own.slice(0, SNIPPET_CHARS - 1)}…` : own;
  return `> ${name}: ${snippet}\n`;
}
