// Long-press and right-click as one gesture: holding a finger still for half a second, a
// right click, or the keyboard's context-menu key (Shift+F10) all open the same menu.
// Android Chrome fires `contextmenu` on a long touch as well, iOS Safari does not (hence
// the timer); whichever comes first opens the menu, and the lifted finger makes no click,
// so a long-pressed row does not also open and the menu is not closed under it.

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
  onTouchEnd(e: TouchEvent): void;
};

export function longPress(open: () => void): Handlers {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start: { x: number; y: number } | null = null;
  /** The timer opened the menu for the press going on now; its contextmenu must not open it again. */
  let held = false;
  /** A touch press opened the menu: the click its release may still make is not a tap. */
  let swallowClick = false;
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
    start = null;
  };
  return {
    onPointerDown(e) {
      held = false;
      swallowClick = false;
      if (e.pointerType === "mouse") return; // a mouse has its right button
      start = { x: e.clientX, y: e.clientY };
      clearTimeout(timer);
      timer = setTimeout(() => {
        clear();
        held = swallowClick = true;
        open();
      }, LONG_PRESS_MS);
    },
    onPointerMove(e) {
      if (start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > SLOP_PX) clear();
    },
    onPointerUp: clear,
    onPointerCancel: clear,
    onContextMenu(e) {
      e.preventDefault();
      if (start) swallowClick = true; // Android's own long-press, before our timer
      clear();
      if (held) return;
      open();
    },
    onClickCapture(e) {
      if (!swallowClick) return;
      swallowClick = false;
      e.preventDefault();
      e.stopPropagation();
    },
    // The finger lifts over the menu's backdrop, which a click there would close: a touch
    // that became a long press makes no click at all (touch events stay with the element
    // the touch began on, so this one is ours).
    onTouchEnd(e) {
      if (held && e.cancelable) e.preventDefault();
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
