// One socket per active group, straight to the group's room (docs/protocol.md, "A group's
// own socket"): while it is open the room pushes the group's entries to this device itself
// instead of through the hub. Each socket redials on its own like the hub's (capped
// exponential backoff with full jitter, ping/pong keepalive) and never touches the
// `connection` signal: a group redialling does not make the app look offline.
import { effect, untracked } from "@preact/signals";
import type { ClientFrame } from "../../../core/protocol";
import { SIGNED_OUT, TIMING, backoffDelay, connection } from "./connection";
import { type ClientGroup, groups, isEnded } from "./groups";
import { me } from "./session";
import type { ServerFrame } from "./types";

export type RoomOptions = {
  /** The room seq this device has stored for the group; read at every (re)connect. */
  resume: (group: string) => number | Promise<number>;
  onFrame: (group: string, frame: ServerFrame) => void;
  /** The socket went (any close, or a dead link): sends in flight on it must find another way. */
  onClosed?: (group: string) => void;
  /** The room closed the socket because this session ended. */
  onSignedOut?: () => void;
  url?: (group: string, self: string) => string;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
};

/** The room's closes after which redialling would only be refused (4001 as on /api/ws). */
const LEFT = 4004;
const ENDED = 4010;

type Room = {
  group: string;
  ws?: WebSocket;
  /** `ready` came on the current socket: sends may take it. */
  ready: boolean;
  /** Closed with 4001, 4004 or 4010: not redialled while the group stays in the list as active. */
  final: boolean;
  attempt: number;
  redialTimer?: ReturnType<typeof setTimeout>;
  pingTimer?: ReturnType<typeof setInterval>;
  pongDeadline?: ReturnType<typeof setTimeout>;
};

let opts: RoomOptions | undefined;
let stopWatching: (() => void) | undefined;
const rooms = new Map<string, Room>();

const online = () => typeof navigator === "undefined" || navigator.onLine !== false;
const active = (g: ClientGroup) => !isEnded(g) && !g.left;

function defaultUrl(group: string, self: string): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/groups/${encodeURIComponent(group)}/ws?as=${encodeURIComponent(self)}`;
}

export function startRooms(options: RoomOptions): void {
  stopRooms();
  opts = options;
  if (typeof window !== "undefined") {
    window.addEventListener("online", onNetworkBack);
    window.addEventListener("offline", onNetworkGone);
    document.addEventListener("visibilitychange", onVisible);
  }
  stopWatching = effect(() => {
    const list = groups.value;
    const self = me.value?.id;
    // New rooms wait for the hub's first `ready`: its replay may say a cached group ended or was left.
    const hubUp = connection.value === "online";
    untracked(() => reconcile(list, self, hubUp));
  });
}

export function stopRooms(): void {
  stopWatching?.();
  stopWatching = undefined;
  if (typeof window !== "undefined") {
    window.removeEventListener("online", onNetworkBack);
    window.removeEventListener("offline", onNetworkGone);
    document.removeEventListener("visibilitychange", onVisible);
  }
  // Cleared first: sends in flight have nowhere to be rerouted when everything stops.
  opts = undefined;
  for (const room of rooms.values()) close(room);
  rooms.clear();
}

/** The group's room socket has said `ready`: a send can take it. */
export function roomReady(group: string): boolean {
  const room = rooms.get(group);
  return !!room?.ready && room.ws?.readyState === 1;
}

/** Sends a frame on the group's room socket if it is ready for it (an ack may go while it replays). */
export function sendToRoom(group: string, frame: ClientFrame): boolean {
  const room = rooms.get(group);
  if (!room?.ws || room.ws.readyState !== 1) return false;
  if (!room.ready && frame.t !== "ack") return false;
  room.ws.send(JSON.stringify(frame));
  return true;
}

/** The groups with a room this device holds (open, dialling or waiting to redial). */
export function roomGroups(): string[] {
  return [...rooms.keys()];
}

function reconcile(list: Record<string, ClientGroup>, self: string | undefined, hubUp: boolean): void {
  const wanted = new Set(self ? Object.values(list).filter(active).map((g) => g.id) : []);
  for (const [group, room] of rooms) {
    if (wanted.has(group)) continue;
    close(room);
    rooms.delete(group);
  }
  if (!hubUp) return;
  for (const group of wanted) {
    if (rooms.has(group)) continue;
    const room: Room = { group, ready: false, final: false, attempt: 0 };
    rooms.set(group, room);
    void dial(room);
  }
}

async function dial(room: Room): Promise<void> {
  const o = opts;
  const self = me.value?.id;
  if (!o || !self || room.ws || room.final || !online()) return;
  const resume = await o.resume(room.group);
  if (opts !== o || rooms.get(room.group) !== room || room.ws || room.final) return;
  const Impl = o.WebSocketImpl ?? WebSocket;
  const socket = new Impl((o.url ?? defaultUrl)(room.group, self));
  room.ws = socket;
  socket.onopen = () => {
    // No cursor yet: the room replays only what the hub does not hold; history comes over HTTP.
    socket.send(JSON.stringify({ t: "hello", ...(resume > 0 ? { resume } : { fresh: true }) } satisfies ClientFrame));
    startKeepalive(room, socket);
  };
  socket.onmessage = (e: MessageEvent) => {
    if (room.ws !== socket) return;
    clearTimeout(room.pongDeadline);
    if (e.data === "pong") return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(e.data)) as ServerFrame;
    } catch {
      console.warn(`unibox: ignoring a frame from room ${room.group} that is not JSON`);
      return;
    }
    if (frame.t === "ready") {
      room.ready = true;
      room.attempt = 0;
    }
    o.onFrame(room.group, frame);
  };
  socket.onclose = (e: CloseEvent) => {
    if (room.ws !== socket) return;
    hangUp(room);
    const code = e?.code;
    // 4004/4010 come after our own group.member.left / group.expired; the groups list
    // catches up from that event and then drops the room.
    if (code === LEFT || code === ENDED || code === SIGNED_OUT) room.final = true;
    if (code === SIGNED_OUT) o.onSignedOut?.();
    // A refused upgrade (404 not a member, 409 ended) is a close without a code: it backs
    // off like a lost link, until the groups list says the group is no longer active.
    else if (!room.final) scheduleRedial(room);
    o.onClosed?.(room.group);
  };
  // An error is always followed by close; the close handler redials.
  socket.onerror = () => undefined;
}

function startKeepalive(room: Room, socket: WebSocket): void {
  clearInterval(room.pingTimer);
  room.pingTimer = setInterval(() => {
    if (socket.readyState !== 1) return;
    // The bare text, as on /api/ws: the runtime answers it without waking the room.
    socket.send("ping");
    clearTimeout(room.pongDeadline);
    room.pongDeadline = setTimeout(() => {
      if (room.ws !== socket) return;
      hangUp(room);
      scheduleRedial(room);
      opts?.onClosed?.(room.group);
    }, TIMING.pongTimeoutMs);
  }, TIMING.pingEveryMs);
}

function hangUp(room: Room): void {
  clearInterval(room.pingTimer);
  clearTimeout(room.pongDeadline);
  const socket = room.ws;
  room.ws = undefined;
  room.ready = false;
  if (socket) {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close();
    } catch {}
  }
}

/** The group is no longer active here, or sync stopped: hang up for good. */
function close(room: Room): void {
  clearTimeout(room.redialTimer);
  const open = !!room.ws;
  hangUp(room);
  room.final = true;
  if (open) opts?.onClosed?.(room.group);
}

function scheduleRedial(room: Room): void {
  clearTimeout(room.redialTimer);
  if (!opts || room.final || !online()) return;
  room.redialTimer = setTimeout(() => void dial(room), backoffDelay(room.attempt++, opts.random));
}

/** The network is back, or the phone woke up: redial every waiting room at once. */
function redialAll(): void {
  for (const room of rooms.values()) {
    if (room.ws || room.final) continue;
    room.attempt = 0;
    clearTimeout(room.redialTimer);
    void dial(room);
  }
}

function onNetworkBack(): void {
  redialAll();
}

/** The OS says the network is gone: drop the sockets now instead of waiting for a timeout. */
function onNetworkGone(): void {
  for (const room of rooms.values()) {
    clearTimeout(room.redialTimer);
    const open = !!room.ws;
    hangUp(room);
    if (open) opts?.onClosed?.(room.group);
  }
}

function onVisible(): void {
  if (document.visibilityState === "visible") redialAll();
}
