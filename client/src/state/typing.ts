// "typing…" in 1:1 chats. Ephemeral by design: the hub relays these frames to the peer's
// open sockets only — never into the log, never as a push — so nothing here is stored,
// and an indicator ends by itself if its `paused` never comes (a phone that went away).
//
// Frames (the hub's side is added to core/protocol.ts with the server change):
//   client → hub  {"t":"typing","conv":"<conv id>","state":"active"|"paused"}
//   hub → client  {"t":"typing","conv":"<conv id>","from":"<user id>","state":"active"|"paused"}
import { signal } from "@preact/signals";
import type { ClientFrame, ServerFrame } from "../../../core/protocol";
import { conversationKind } from "../../../core/conversation";
import { sendFrame } from "./connection";

export type TypingState = "active" | "paused";
export type TypingOut = Extract<ClientFrame, { t: "typing" }>;
export type TypingIn = Extract<ServerFrame, { t: "typing" }>;

export const TYPING = {
  /** `active` at most this often while the user keeps typing. */
  activeEveryMs: 3_000,
  /** No keystroke for this long: `paused`. */
  pauseAfterMs: 5_000,
  /** An indicator with no fresh `active` for this long goes away by itself. */
  expireMs: 6_000,
};

/** Conversation → the user typing in it (1:1: the peer). */
export const typingIn = signal<ReadonlyMap<string, string>>(new Map());

// ---- ours ---------------------------------------------------------------------------

let typingConv: string | null = null;
let lastActiveAt = 0;
let pauseTimer: ReturnType<typeof setTimeout> | undefined;

const send = (frame: TypingOut) => sendFrame(frame);

/** A keystroke in `conv`'s composer. Only 1:1 chats say it: in a group it would be noise. */
export function noteTyping(conv: string, now = Date.now()): void {
  if (conversationKind(conv) !== "direct") return;
  if (typingConv && typingConv !== conv) stopTyping(typingConv);
  if (typingConv !== conv || now - lastActiveAt >= TYPING.activeEveryMs) {
    if (send({ t: "typing", conv, state: "active" })) {
      typingConv = conv;
      lastActiveAt = now;
    }
  }
  clearTimeout(pauseTimer);
  pauseTimer = setTimeout(() => stopTyping(conv), TYPING.pauseAfterMs);
}

/** The user sent, emptied the box, stopped for a while or left the chat. */
export function stopTyping(conv: string): void {
  if (typingConv !== conv) return;
  clearTimeout(pauseTimer);
  typingConv = null;
  lastActiveAt = 0;
  send({ t: "typing", conv, state: "paused" });
}

// ---- theirs --------------------------------------------------------------------------

const expiry = new Map<string, ReturnType<typeof setTimeout>>();

export function applyTyping(frame: TypingIn): void {
  clearTimeout(expiry.get(frame.conv));
  if (frame.state === "active") {
    typingIn.value = new Map(typingIn.value).set(frame.conv, frame.from);
    expiry.set(frame.conv, setTimeout(() => clearTyping(frame.conv, frame.from), TYPING.expireMs));
  } else {
    clearTyping(frame.conv, frame.from);
  }
}

/** Their message arrived (or they paused): whatever they were typing is no longer being typed. */
export function clearTyping(conv: string, from: string): void {
  if (typingIn.value.get(conv) !== from) return;
  clearTimeout(expiry.get(conv));
  expiry.delete(conv);
  const next = new Map(typingIn.value);
  next.delete(conv);
  typingIn.value = next;
}

/** For tests and sign-out. */
export function resetTyping(): void {
  clearTimeout(pauseTimer);
  typingConv = null;
  lastActiveAt = 0;
  for (const t of expiry.values()) clearTimeout(t);
  expiry.clear();
  typingIn.value = new Map();
}
