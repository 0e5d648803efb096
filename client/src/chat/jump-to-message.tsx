// A search hit opens `/chat/:conv?msg=<id>`: the conversation scrolled to that message and
// marked for a moment, loading older pages until it is there (at most 20 of them).
import "../inbox/inbox.css";
import { useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { loadOlder, openThread, threadOf } from "../state/threads";

const MAX_PAGES = 20;

export function JumpToMessage() {
  const { url } = useLocation();
  useEffect(() => {
    let stopped = false;
    const jump = async () => {
      // From the router's url, not window.location: the route can render before the history entry is pushed.
      const here = new URL(url, "http://x");
      const m = /^\/chat\/([^/?#]+)/.exec(here.pathname);
      const msgId = here.searchParams.get("msg");
      if (!m || !msgId) return;
      const conv = decodeURIComponent(m[1]!);
      await openThread(conv).catch(() => undefined);
      for (let page = 0; !stopped && page < MAX_PAGES; page++) {
        if (threadOf(conv).value.messages.some((x) => x.id === msgId)) break;
        if (threadOf(conv).value.before === null) return;
        await loadOlder(conv).catch(() => undefined);
      }
      // The chat's chunk and page may still be on their way: look for up to 10 s.
      for (let tries = 0; !stopped && tries < 200; tries++) {
        const el = document.querySelector<HTMLElement>(`.bubble[data-msg="${CSS.escape(msgId)}"]`);
        if (el) {
          el.scrollIntoView({ block: "center" });
          // An attribute the bubble's render never sets, so a re-render does not take it off.
          el.setAttribute("data-found", "");
          setTimeout(() => el.removeAttribute("data-found"), 3000);
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    void jump();
    return () => void (stopped = true);
  }, [url]);
  return null;
}
