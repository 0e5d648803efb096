// A bottom sheet: modal, labelled by its title, closed by Escape or the backdrop; focus
// goes into it and comes back to where it was. Used by the attach and confirm sheets and
// the long-press menus (all lazy chunks).
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

let sheets = 0;

export function Sheet({ title, children, onClose, class: extra }: { title: string; children: ComponentChildren; onClose: () => void; class?: string }) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useRef(`sheet-title-${++sheets}`).current;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    panel.current?.querySelector<HTMLElement>("input, textarea, button, [href]")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class={extra ? `sheet ${extra}` : "sheet"} ref={panel} role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
