// Which media this user may send and see, from the hub's own tables (no D1 on a send).
import { parseConversation } from "../../core/conversation";
import type { Body } from "../../core/protocol";
import { type Hub, Refused } from "./context";

/** Which uploaded kinds a body type may carry. */
const MEDIA_FOR: Record<string, string[]> = { image: ["image"], audio: ["audio", "video"], video: ["audio", "video"], file: ["image", "audio", "video"] };

export class MediaAccess {
  /** Other modules that keep media outside messages (mail attachments, posts) say whether they hold an id. */
  private carriers: ((id: string) => boolean)[] = [];

  constructor(private hub: Hub) {}

  carriedBy(holds: (id: string) => boolean): void {
    this.carriers.push(holds);
  }

  /**
   * The unsent-upload sweep (worker/media/sweep.ts): of these uploads, forgets those nothing
   * of this user carries (a later send of one is refused with invalid_media), and says which
   * it kept. Synchronous: no send can slip in between the check and the forgetting.
   */
  release(ids: string[]): { released: string[]; carried: string[] } {
    const released: string[] = [];
    const carried: string[] = [];
    for (const id of ids) {
      const held = this.hub.store.messages.conversationsWithMedia(id).length > 0 || this.carriers.some((holds) => holds(id));
      if (held) carried.push(id);
      else {
        this.hub.store.media.forget(id);
        released.push(id);
      }
    }
    return { released, carried };
  }

  /** Called by the upload route once R2 and D1 hold the upload. */
  uploaded(media: { id: string; type: string }): void {
    this.hub.store.media.add(media.id, media.type);
  }

  /** A media body must name the sender's own upload of a fitting kind. */
  checkBody(body: Body): void {
    if (!("media" in body)) return;
    const kind = this.hub.store.media.kind(body.media);
    if (!kind) throw new Refused("invalid_media", "that media is not one of your uploads");
    if (!MEDIA_FOR[body.type]!.includes(kind)) throw new Refused("invalid_media", `a ${body.type} message cannot carry ${kind} media`);
  }

  /**
   * Whether a conversation of this user carries the media. A group's media stays visible
   * in its read-only history after the group ended, but not to a member who left.
   */
  canSee(mediaId: string): boolean {
    const { store } = this.hub;
    if (store.media.kind(mediaId)) return true;
    return store.messages.conversationsWithMedia(mediaId).some((conv) => {
      const key = parseConversation(conv);
      if (key?.kind !== "group") return key !== null;
      const status = store.groups.get(key.group)?.status;
      return status === "active" || status === "ended";
    });
  }
}
