import { Icon } from "./icons";

/** Initials on a colour derived from the id, so a person keeps their colour everywhere. */
export function Avatar({ id, name, online, size = 48 }: { id: string; name: string; online?: boolean; size?: number }) {
  const h = hue(id);
  const initials = name.trim().split(/\s+/).map((w) => [...w][0] ?? "").slice(0, 2).join("").toUpperCase() || "?";
  return (
    <span class="avatar" style={{ "--hue": String(h), width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      {initials}
      {online !== undefined && <span class={online ? "presence on" : "presence"} />}
    </span>
  );
}

/** A group: the group icon on a colour derived from the group id. */
export function GroupAvatar({ id, size = 48 }: { id: string; size?: number }) {
  return (
    <span class="avatar group-avatar" style={{ "--hue": String(hue(id)), width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      <Icon name="group" size={Math.round(size * 0.55)} />
    </span>
  );
}

function hue(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % 360;
}
