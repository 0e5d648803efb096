/** Initials on a colour derived from the id, so a person keeps their colour everywhere. */
export function Avatar({ id, name, online, size = 48 }: { id: string; name: string; online?: boolean; size?: number }) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const initials = name.trim().split(/\s+/).map((w) => [...w][0] ?? "").slice(0, 2).join("").toUpperCase() || "?";
  return (
    <span class="avatar" style={{ "--hue": String(h % 360), width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      {initials}
      {online !== undefined && <span class={online ? "presence on" : "presence"} />}
    </span>
  );
}
