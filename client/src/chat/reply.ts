// The message the user is replying to, shown above the composer until sent or dismissed.
import { signal } from "@preact/signals";

export type ReplyTo = { conv: string; id: string; name: string; said: string };

export const replyTo = signal<ReplyTo | null>(null);
