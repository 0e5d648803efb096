// Reading a client's text frame, for every socket a Durable Object holds (the hub's and a
// group room's): size, JSON, then the schema, with a hand-checked fast path for the
// commonest frames. A frame that is not one becomes a Refused, with the frame's id if it had one.
import { LIMITS, type ClientFrame, clientFrame, plainAck } from "../core/protocol";
import { describe } from "../worker/validate";
import { Refused } from "./user-hub/context";

export type Parsed = { frame?: ClientFrame; id?: string; refused?: Refused };

export function parseFrame(message: string | ArrayBuffer, fast?: (raw: unknown) => ClientFrame | null): Parsed {
  if (typeof message !== "string") return { refused: new Refused("binary_frame", "frames are JSON text") };
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most frames need no encoding to be measured.
  if (message.length > LIMITS.frameBytes || (message.length * 3 > LIMITS.frameBytes && new TextEncoder().encode(message).length > LIMITS.frameBytes)) {
    return { refused: new Refused("frame_too_large", `frames are at most ${LIMITS.frameBytes} bytes`) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { refused: new Refused("invalid_json", "the frame is not valid JSON") };
  }
  if (plainAck(raw)) return { frame: raw };
  const quick = fast?.(raw);
  if (quick) return { frame: quick, id: quick.t === "send" ? quick.id : undefined };
  const id = idOf(raw);
  const parsed = clientFrame.safeParse(raw);
  if (!parsed.success) return { id, refused: new Refused("invalid_frame", describe(parsed.error)) };
  return { id, frame: parsed.data };
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === "string" && id.length > 0 && id.length <= LIMITS.clientIdChars ? id : undefined;
}
