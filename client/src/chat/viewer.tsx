// The full-size picture over everything: an opaque backdrop (nothing of the chat shows
// through), pinch to zoom and drag to pan, double-tap (or double-click) to zoom in and out,
// and Save. Escape or Close closes it; focus comes back to the thumbnail.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { Icon } from "../ui/icons";

export const ZOOM = { double: 2.5, max: 5 };
const DOUBLE_TAP_MS = 300;

type View = { scale: number; x: number; y: number };
const FIT: View = { scale: 1, x: 0, y: 0 };

export function Viewer({ src, name, onClose }: { src: string; name: string; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  const view = useSignal<View>(FIT);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<{ dist: number; scale: number } | null>(null);
  const lastTap = useRef(0);
  const lastToggle = useRef(0);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      before?.focus();
    };
  }, []);

  const clamp = (s: number) => Math.min(ZOOM.max, Math.max(1, s));
  /** Zooms to `scale` keeping the point under (cx, cy) — relative to the centre — where it is. */
  const zoomAt = (scale: number, cx: number, cy: number) => {
    const v = view.value;
    const next = clamp(scale);
    if (next === 1) {
      view.value = FIT;
      return;
    }
    const k = next / v.scale;
    view.value = { scale: next, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k };
  };
  const centre = (e: { clientX: number; clientY: number }, el: Element) => {
    const r = el.getBoundingClientRect();
    return { cx: e.clientX - (r.left + r.width / 2), cy: e.clientY - (r.top + r.height / 2) };
  };
  const toggleZoom = (e: { clientX: number; clientY: number; currentTarget: EventTarget | null }) => {
    // A double tap can also arrive as a dblclick: one toggle per gesture.
    if (Date.now() - lastToggle.current < 400) return;
    lastToggle.current = Date.now();
    const { cx, cy } = centre(e, e.currentTarget as Element);
    if (view.value.scale > 1) view.value = FIT;
    else zoomAt(ZOOM.double, cx, cy);
  };

  const down = (e: PointerEvent) => {
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      pinch.current = { dist: Math.hypot(a!.x - b!.x, a!.y - b!.y), scale: view.value.scale };
    }
  };
  const move = (e: PointerEvent) => {
    const prev = pointers.current.get(e.pointerId);
    if (!prev) return;
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch.current && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const { cx, cy } = centre({ clientX: (a!.x + b!.x) / 2, clientY: (a!.y + b!.y) / 2 }, e.currentTarget as Element);
      zoomAt((pinch.current.scale * Math.hypot(a!.x - b!.x, a!.y - b!.y)) / pinch.current.dist, cx, cy);
    } else if (view.value.scale > 1) {
      const v = view.value;
      view.value = { ...v, x: v.x + e.clientX - prev.x, y: v.y + e.clientY - prev.y };
    }
  };
  const up = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    if (pointers.current.size < 2) pinch.current = null;
    if (e.pointerType === "mouse") return; // a mouse has dblclick
    const now = Date.now();
    if (now - lastTap.current < DOUBLE_TAP_MS) {
      lastTap.current = 0;
      toggleZoom(e);
    } else lastTap.current = now;
  };

  const v = view.value;
  return (
    <div class="viewer" role="dialog" aria-modal="true" aria-label={t("media.picture")} data-zoom={v.scale.toFixed(2)}>
      <div class="viewer-stage" onPointerDown={down} onPointerMove={move} onPointerUp={up} onPointerCancel={up} onDblClick={toggleZoom}>
        <img class="viewer-image" src={src} alt={t("media.picture")} draggable={false} style={{ transform: `translate(${v.x}px, ${v.y}px) scale(${v.scale})` }} />
      </div>
      <div class="viewer-bar">
        <a class="viewer-button" href={src} download={name} aria-label={t("media.save")}>
          <Icon name="download" />
        </a>
        <button type="button" ref={close} class="viewer-button" onClick={onClose} aria-label={t("common.close")}>
          <Icon name="close" />
        </button>
      </div>
    </div>
  );
}
