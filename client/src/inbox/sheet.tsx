// A bottom sheet for issue 14's screens: modal, labelled, Escape and the backdrop close it,
// focus goes in and comes back (the same behaviour as the composer's sheets).
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function InboxSheet({ title, children, onClose, id = "inbox-sheet-title" }: { title: string; children: ComponentChildren; onClose: () => void; id?: string }) {
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    panel.current?.querySelector<HTMLElement>("button, [href], input")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="sheet" ref={panel} role="dialog" aria-modal="true" aria-labelledby={id}>
        <h2 id={id}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
