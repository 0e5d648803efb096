// What the session knows of the account's rooms, built from /sync: names, members, which
// rooms are direct chats (m.direct in the account data), which are encrypted. It lives in
// memory only: every connect begins with a full-state sync (see sync.ts), so it can never
// drift from the homeserver's view.
//
// Chat ids, as the connector contract asks: a direct chat is the other person's user id
// (@bob:example.org), so every DM room with the same person is one conversation; any other
// room is its room id (!opaque:example.org).
import type { RemoteChat, RemoteContact } from "../types";

export type MatrixEvent = {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  unsigned?: { transaction_id?: string; [k: string]: unknown };
};

type Room = {
  name?: string;
  alias?: string;
  encrypted: boolean;
  /** Display names of members that are joined or invited. */
  members: Map<string, string | undefined>;
  heroes: string[];
  /** When the room last had a message, to pick among several DM rooms with one person. */
  lastTs: number;
};

/** Members of bigger rooms are not shown as contacts: a public room's crowd is not a buddy list. */
const CONTACT_ROOM_MAX = 50;

export class Rooms {
  private rooms = new Map<string, Room>();
  /** room id → the other person, from m.direct. */
  private directOf = new Map<string, string>();

  constructor(readonly me: string) {}

  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  private room(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { encrypted: false, members: new Map(), heroes: [], lastTs: 0 };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /** Applies a state event; true when it made the room encrypted. */
  applyState(roomId: string, ev: MatrixEvent): boolean {
    const room = this.room(roomId);
    const c = ev.content;
    switch (ev.type) {
      case "m.room.name":
        room.name = typeof c.name === "string" && c.name.trim() ? c.name.trim() : undefined;
        return false;
      case "m.room.canonical_alias":
        room.alias = typeof c.alias === "string" ? c.alias : undefined;
        return false;
      case "m.room.encryption": {
        const was = room.encrypted;
        room.encrypted = true;
        return !was;
      }
      case "m.room.member": {
        const membership = c.membership;
        if (membership === "join" || membership === "invite") room.members.set(ev.state_key!, typeof c.displayname === "string" && c.displayname ? c.displayname : undefined);
        else room.members.delete(ev.state_key!);
        return false;
      }
      default:
        return false;
    }
  }

  setHeroes(roomId: string, heroes: unknown): void {
    if (Array.isArray(heroes)) this.room(roomId).heroes = heroes.filter((h): h is string => typeof h === "string");
  }

  /** m.direct: `{ "@bob:server": ["!room", ...] }`, the whole map each time it changes. */
  setDirect(content: Record<string, unknown>): void {
    this.directOf.clear();
    for (const [userId, roomIds] of Object.entries(content)) {
      if (!Array.isArray(roomIds)) continue;
      for (const roomId of roomIds) if (typeof roomId === "string") this.directOf.set(roomId, userId);
    }
  }

  leave(roomId: string): void {
    this.rooms.delete(roomId);
  }

  touched(roomId: string, ts: number): void {
    const room = this.room(roomId);
    room.lastTs = Math.max(room.lastTs, ts);
  }

  isEncrypted(roomId: string): boolean {
    return this.rooms.get(roomId)?.encrypted ?? false;
  }

  /** The other person of a direct room, when m.direct says so and nobody else is in it. */
  private peer(roomId: string): string | undefined {
    const other = this.directOf.get(roomId);
    const room = this.rooms.get(roomId);
    if (!other || !room) return undefined;
    const others = [...room.members.keys()].filter((u) => u !== this.me);
    return others.length <= 1 ? other : undefined;
  }

  nameOf(roomId: string, userId: string): string {
    return this.rooms.get(roomId)?.members.get(userId) ?? userId;
  }

  chatOf(roomId: string): RemoteChat {
    const peer = this.peer(roomId);
    if (peer) return { id: peer, kind: "direct", title: this.nameOf(roomId, peer) };
    return { id: roomId, kind: "group", title: this.title(roomId) };
  }

  /** The spec's "Calculating the display name for a room": name, alias, then the heroes. */
  private title(roomId: string): string {
    const room = this.rooms.get(roomId);
    if (!room) return roomId;
    if (room.name) return room.name;
    if (room.alias) return room.alias;
    const heroes = room.heroes.length ? room.heroes : [...room.members.keys()].filter((u) => u !== this.me).sort().slice(0, 5);
    const names = heroes.map((u) => this.nameOf(roomId, u));
    return names.length ? names.join(", ") : "Empty room";
  }

  /** The room to send to for a chat id: the room itself, or the liveliest DM room with that person. */
  roomFor(chat: string): string | undefined {
    if (chat.startsWith("!")) return this.rooms.has(chat) ? chat : undefined;
    let best: string | undefined;
    for (const roomId of this.rooms.keys()) {
      if (this.peer(roomId) !== chat) continue;
      if (!best || this.rooms.get(roomId)!.lastTs > this.rooms.get(best)!.lastTs) best = roomId;
    }
    return best;
  }

  /** People in direct chats and in small rooms, by id, with the first display name found. */
  contacts(): RemoteContact[] {
    const out = new Map<string, string>();
    for (const [roomId, room] of this.rooms) {
      if (!this.peer(roomId) && room.members.size > CONTACT_ROOM_MAX) continue;
      for (const [userId, name] of room.members) {
        if (userId !== this.me && (!out.has(userId) || (name && out.get(userId) === userId))) out.set(userId, name ?? userId);
      }
    }
    return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, name]) => ({ id, name }));
  }
}
