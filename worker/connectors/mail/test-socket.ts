// For tests: a TcpSocket whose other end is a script of recorded server responses, cut
// into chunks however the test likes (a literal split across reads, one byte at a time).
import type { TcpSocket } from "../types";

/** What the server sends: chunks of bytes, and CLOSE to hang up after them. */
export const CLOSE = { close: true } as const;
export type Chunk = string | Uint8Array | typeof CLOSE;

export type Script = {
  /** What the server sent first (a greeting), as chunks. */
  greeting?: Chunk[];
  /** Called with each line the client writes; returns what the server sends back. */
  reply(line: string): Chunk[] | undefined;
};

export type ScriptedSocket = TcpSocket & {
  written: string[];
  tls: boolean;
  /** The server speaks on its own (an EXISTS during IDLE, a BYE). */
  serverSends(chunks: Chunk[]): void;
};

export function scriptedSocket(script: Script): ScriptedSocket {
  let push!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let pending = "";
  const written: string[] = [];
  const enc = new TextEncoder();
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const end = () => {
    if (!open) return;
    open = false;
    push.close();
    resolveClosed();
  };
  const send = (chunks: Chunk[]) => {
    for (const c of chunks) {
      if (!open) return;
      if (c === CLOSE) end();
      else push.enqueue(typeof c === "string" ? enc.encode(c) : (c as Uint8Array));
    }
  };
  const writable = new WritableStream<Uint8Array>({
    write(bytes) {
      pending += new TextDecoder().decode(bytes);
      for (let at = pending.indexOf("\r\n"); at >= 0; at = pending.indexOf("\r\n")) {
        const line = pending.slice(0, at);
        pending = pending.slice(at + 2);
        written.push(line);
        const answer = script.reply(line);
        if (answer) queueMicrotask(() => send(answer));
      }
    },
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const socket: ScriptedSocket = {
    readable,
    writable,
    opened: Promise.resolve({}),
    closed,
    written,
    tls: false,
    serverSends: (c) => queueMicrotask(() => send(c)),
    async close() {
      end();
    },
    startTls() {
      // The same script goes on "over TLS": the test sees that the upgrade happened.
      socket.tls = true;
      return socket;
    },
  };
  if (script.greeting) queueMicrotask(() => send(script.greeting!));
  return socket;
}

/** Cuts `text` into chunks of `size` bytes (1: every byte its own read). */
export function chunks(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}
