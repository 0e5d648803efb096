// Inline SVG icons (no icon font, no network). Decorative: the control around them carries the label.
import type { DeliveryState } from "../state/types";
const paths = {
  chats: "M4 5h16v11H8l-4 4z",
  contacts: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9c0-3.3 3.1-6 7-6s7 2.7 7 6M17 11a3 3 0 1 0 0-6M22 20c0-2.5-1.8-4.6-4.3-5.4",
  me: "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm-8 10c0-4.4 3.6-8 8-8s8 3.6 8 8",
  back: "M15 5l-7 7 7 7",
  send: "M4 20l17-8L4 4l2 8zm2-8h8",
  down: "M6 9l6 6 6-6",
  check: "M5 12.5l4.5 4.5L19 7.5",
  clock: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-13v5l3 2",
  alert: "M12 3l10 18H2zm0 7v5m0 3v.5",
  plus: "M12 5v14M5 12h14",
  offline: "M2 8.5a15 15 0 0 1 20 0M5.5 12a10 10 0 0 1 13 0M9 15.5a5 5 0 0 1 6 0M12 19h.01M3 3l18 18",
  group: "M8 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM1.5 20c0-3 2.9-5.5 6.5-5.5s6.5 2.5 6.5 5.5M16 11a3 3 0 1 0 0-6M22.5 20c0-2.6-1.9-4.8-4.5-5.4",
  attach: "M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15.5 7.6",
  mic: "M12 15a3.5 3.5 0 0 0 3.5-3.5v-6a3.5 3.5 0 0 0-7 0v6A3.5 3.5 0 0 0 12 15zM5.5 11.5a6.5 6.5 0 0 0 13 0M12 18v3",
  image: "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 9.5h.01",
  camera: "M3 8h4l2-3h6l2 3h4v11H3zM12 16.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z",
  video: "M3 6h12v12H3zM15 10l6-3.5v11L15 14",
  pin: "M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21zM12 12a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
  close: "M6 6l12 12M18 6L6 18",
  info: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 11v6M12 7.5v.5",
  search: "M10.5 18a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15zM16 16l5 5",
  broadcast: "M4 10v4h3l6 5V5L7 10zM17 9a4 4 0 0 1 0 6M19.5 6.5a7.5 7.5 0 0 1 0 11",
  people: "M8 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM1.5 20c0-3 2.9-5.5 6.5-5.5M14 13l2.5 2.5L22 10",
  download: "M12 4v11M7 10l5 5 5-5M5 20h14",
  more: "M12 6h.01M12 12h.01M12 18h.01",
  reply: "M10 8L4 13l6 5M4 13h10a6 6 0 0 1 6 6",
  forward: "M14 8l6 5-6 5M20 13H10a6 6 0 0 0-6 6",
  copy: "M9 9h11v11H9zM5 15H4V4h11v1",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
  mute: "M11 5L6 9H3v6h3l5 4zM16 9l5 6M21 9l-5 6",
  archive: "M3 4h18v4H3zM5 8v12h14V8M10 12h4",
  social: "M5 11a8 8 0 0 1 8 8M5 5a14 14 0 0 1 14 14M6 19h.01",
  edit: "M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4",
  boost: "M7 7h11l-3-3M17 17H6l3 3M18 7v5M6 17v-5",
  like: "M12 20s-7.5-4.6-9-9.4C2 7.3 4.2 4.5 7.2 4.5c2 0 3.6 1.2 4.8 2.9 1.2-1.7 2.8-2.9 4.8-2.9 3 0 5.2 2.8 4.2 6.1C19.5 15.4 12 20 12 20z",
  external: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
  mail: "M3 6h18v12H3zM3 7l9 6 9-6",
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, size = 24 }: { name: IconName; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={paths[name]} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

/** ✓ sent, ✓✓ delivered, blue ✓✓ read, a clock while sending. Decorative: say the state in text beside it. */
export function Ticks({ state }: { state: DeliveryState }) {
  if (state === "sending") return <Icon name="clock" size={14} />;
  if (state === "failed") return <Icon name="alert" size={14} />;
  return (
    <svg class={`ticks ticks-${state}`} width="18" height="14" viewBox="0 0 18 14" aria-hidden="true" focusable="false">
      <path d="M1 7.5l3.5 3.5L11 3.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
      {state !== "sent" && <path d="M7 11l7-7.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />}
    </svg>
  );
}
