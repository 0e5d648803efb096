// The UI language: English or Simplified Chinese, chosen by the user or by the browser.
import { computed, signal } from "@preact/signals";
import { type MessageKey, en } from "./en";
import { zh } from "./zh";

export type Locale = "en" | "zh-CN";
export const LOCALES: { id: Locale; name: string }[] = [
  { id: "en", name: "English" },
  { id: "zh-CN", name: "简体中文" },
];

const KEY = "unibox.locale";
const catalogues: Record<Locale, Record<MessageKey, string>> = { en, "zh-CN": zh };

function initial(): Locale {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {}
  return typeof navigator !== "undefined" && navigator.language?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export const locale = signal<Locale>(initial());
const catalogue = computed(() => catalogues[locale.value]);

export function setLocale(next: Locale): void {
  locale.value = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {}
  document.documentElement.lang = next;
}

/** Looks a string up in the current catalogue and fills `{name}` placeholders. Reading it subscribes to the locale. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = catalogue.value[key] ?? en[key];
  return params ? text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? "")) : text;
}

export function formatTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  const today = new Date(now);
  const sameDay = d.toDateString() === today.toDateString();
  if (sameDay) return d.toLocaleTimeString(locale.value, { hour: "2-digit", minute: "2-digit" });
  const days = (today.setHours(0, 0, 0, 0) - new Date(at).setHours(0, 0, 0, 0)) / 86_400_000;
  if (days < 7) return d.toLocaleDateString(locale.value, { weekday: "short" });
  return d.toLocaleDateString(locale.value, { month: "short", day: "numeric" });
}

export function formatDay(at: number, now = Date.now()): string {
  const start = (x: number) => new Date(x).setHours(0, 0, 0, 0);
  const days = Math.round((start(now) - start(at)) / 86_400_000);
  if (days === 0) return t("conv.today");
  if (days === 1) return t("conv.yesterday");
  return new Date(at).toLocaleDateString(locale.value, { year: days > 300 ? "numeric" : undefined, month: "long", day: "numeric", weekday: "short" });
}

export type { MessageKey };
