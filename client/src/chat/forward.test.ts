// Forwarding: text and places go as they are; an own picture by its media id; someone
// else's picture is fetched and uploaded again as this user's (only an owner may send a
// media id). Ended groups are not offered.
import { Blob as NodeBlob } from "node:buffer";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetClient } from "../../test/sync-harness";
import { conversations } from "../state/conversations";
import { outbox } from "../state/outbox";
import type { ConversationSummary, Media } from "../state/types";
import { resetUploadsState, setUploadTransport } from "../state/uploads";
import { forward, forwardTargets, recipientOf } from "./forward";

const user = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const toBo: ConversationSummary = { id: "d:u_a:u_bo", kind: "direct", source: "unibox", title: "Bo", peer: user("u_bo", "Bo"), unread: 0, last: null };
const hike: ConversationSummary = { id: "g:g_1", kind: "group", group: "g_1", source: "unibox", title: "Hike", unread: 0, last: null };
const ended: ConversationSummary = { ...hike, id: "g:g_2", group: "g_2", title: "Old", ended: "ttl" };

describe("forward", () => {
  beforeEach(async () => {
    await resetClient();
    resetUploadsState();
  });
  afterEach(() => {
    setUploadTransport();
    resetUploadsState();
    vi.restoreAllMocks();
  });

  it("offers open chats only, each addressed to its peer or group", () => {
    conversations.value = [toBo, hike, ended];
    expect(forwardTargets("u_a").map((c) => c.id)).toEqual([toBo.id, hike.id]);
    expect(recipientOf(toBo, "u_a")).toBe("u_bo");
    expect(recipientOf({ ...toBo, peer: undefined }, "u_a")).toBe("u_bo");
    expect(recipientOf(hike, "u_a")).toBe("g_1");
  });

  it("sends text as it is, an own picture by its id, and someone else's picture uploaded again", async () => {
    await forward({ type: "text", text: "see you" }, false, toBo, "u_a");
    await forward({ type: "image", media: "md_mine", caption: "view" }, true, hike, "u_a");
    expect(outbox.value.map((i) => [i.conv, i.to, i.body])).toEqual([
      [toBo.id, "u_bo", { type: "text", text: "see you" }],
      [hike.id, "g_1", { type: "image", media: "md_mine", caption: "view" }],
    ]);

    const uploaded: { size: number; mime: string }[] = [];
    setUploadTransport(async (blob, mime) => {
      uploaded.push({ size: blob.size, mime });
      return { id: "md_copy", type: "image", mime, size: blob.size } satisfies Media;
    });
    vi.mocked(fetch).mockImplementation(async (input) => {
      expect(String(input)).toBe("/api/media/md_theirs");
      return new Response(new NodeBlob([new Uint8Array(2000)], { type: "image/jpeg" }) as unknown as Blob, { status: 200, headers: { "content-type": "image/jpeg" } });
    });
    await forward({ type: "image", media: "md_theirs", caption: "theirs" }, false, toBo, "u_a");
    await vi.waitFor(() => expect(uploaded).toEqual([{ size: 2000, mime: "image/jpeg" }]));
    await vi.waitFor(() => expect(outbox.value.at(-1)).toMatchObject({ conv: toBo.id, to: "u_bo", body: { type: "image", media: "md_copy", caption: "theirs" } }));
  });
});
