// Light, dark or follow the system. Kept in localStorage (not IndexedDB) so the right
// colours are on the very first frame, before anything async has run.
import { signal } from "@preact/signals";

export type Theme = "system" | "light" | "dark";
const KEY = "unibox.theme";

/** The top bar's colour in each scheme (--surface), which the browser's own bar matches. */
export const BAR_COLOURS = { light: "#ffffff", dark: "#181b21" } as const;

function initial(): Theme {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "light" || saved === "dark" || saved === "system") return saved;
  } catch {}
  return "system";
}

export const theme = signal<Theme>(initial());

export function applyTheme(next: Theme = theme.value): void {
  theme.value = next;
  const root = document.documentElement;
  if (next === "system") delete root.dataset.theme;
  else root.dataset.theme = next;
  syncThemeColour(next);
  try {
    localStorage.setItem(KEY, next);
  } catch {}
}

/**
 * The browser's bar follows `<meta name="theme-color" media=…>`, which only knows the
 * system's scheme. A chosen theme sets both tags to its colour, so a dark choice on a
 * light phone does not sit under a white bar; "system" gives each tag its own again.
 */
function syncThemeColour(next: Theme): void {
  for (const meta of document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')) {
    const scheme = (meta.getAttribute("media") ?? "").includes("dark") ? "dark" : "light";
    meta.content = BAR_COLOURS[next === "system" ? scheme : next];
  }
}
