// History for the Worker's HTTP routes: the conversation list and pages of a conversation.
import { conversationKind, directPeer } from "../../core/conversation";
import type { Hub } from "./context";

export class History {
  constructor(private hub: Hub) {}

  conversations() {
    return this.hub.store.conversations.list(this.hub.me);
  }

  /** A page, or null for a conversation that is not this user's. */
  messages(conv: string, before: number | undefined, limit: number) {
    const { store, me } = this.hub;
    if (store.conversations.has(conv)) return store.messages.page(conv, before, limit, conversationKind(conv) === "group");
    // A friend you have not written to yet: the conversation exists, it is just empty.
    const peer = directPeer(conv, me);
    return peer && store.friends.has(peer) ? { messages: [] } : null;
  }
}
