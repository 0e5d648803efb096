// Light, dark or follow the system. Kept in localStorage (not IndexedDB) so the right
// colours are on the very first frame, before anything async has run.
import { signal } from "@preact/signals";

export type Theme = "system" | "light" | "dark";
const KEY = "unibox.theme";

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
  try {
    localStorage.setItem(KEY, next);
  } catch {}
}
