// Long-press and right-click as one gesture: holding a finger still for half a second, a
// right click, or the keyboard's context-menu key (Shift+F10) all open the same menu.
// Android Chrome fires `contextmenu` on a long touch as well, iOS Safari does not (hence
// the timer); whichever comes first opens the menu, and the click that may follow the
// lifted finger is swallowed so a long-pressed row does not also open.

import { useRef } from "preact/hooks";

export const LONG_PRESS_MS = 500;
/** A finger that moved further than this is scrolling, not holding. */
const SLOP_PX = 10;

type Handlers = {
  onPointerDown(e: PointerEvent): void;
  onPointerMove(e: PointerEvent): void;
  onPointerUp(): void;
  onPointerCancel(): void;
  onContextMenu(e: MouseEvent): void;
  onClickCapture(e: MouseEvent): void;
};

export function longPress(open: () => void): Handlers {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start: { x: number; y: number } | null = null;
  /** The timer opened the menu for the press going on now; its contextmenu must not open it again. */
  let held = false;
  let openedAt = 0;
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
    start = null;
  };
  const fire = () => {
    openedAt = Date.now();
    open();
  };
  return {
    onPointerDown(e) {
      held = false;
      if (e.pointerType === "mouse") return; // a mouse has its right button
      start = { x: e.clientX, y: e.clientY };
      clearTimeout(timer);
      timer = setTimeout(() => {
        clear();
        held = true;
        fire();
      }, LONG_PRESS_MS);
    },
    onPointerMove(e) {
      if (start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > SLOP_PX) clear();
    },
    onPointerUp: clear,
    onPointerCancel: clear,
    onContextMenu(e) {
      e.preventDefault();
      clear();
      if (held) return;
      fire();
    },
    onClickCapture(e) {
      if (Date.now() - openedAt > 800) return;
      e.preventDefault();
      e.stopPropagation();
    },
  };
}

/** The same handlers across renders (a re-render mid-press keeps the press), calling the latest `open`. */
export function useLongPress(open: () => void): Handlers {
  const latest = useRef(open);
  latest.current = open;
  const handlers = useRef<Handlers | null>(null);
  handlers.current ??= longPress(() => latest.current());
  return handlers.current;
}
