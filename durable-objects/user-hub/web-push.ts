// Web Push for a user with no socket open: a message from someone else or a friend request
// goes to each of the user's browsers through the outbox, retried while the push service is
// unreachable and dropped for a subscription it says is gone. Every push passes quiet hours
// and mutes first (quiet.ts): this is the one place every source's pushes go through.
import type { HubEvent, PushNotice } from "../../core/protocol";
import { noticeFor } from "../../worker/push/notice";
import { pushTopic, sendPush, type VapidKeys } from "../../worker/push/web-push";
import type { Hub } from "./context";
import type { Quiet } from "./quiet";
import type { PushSub } from "./store";

/** A push the push service keeps refusing with 429/5xx is dropped after this many tries. */
const PUSH_ATTEMPTS = 5;

type QueuedPush = { endpoint: string; notice: unknown; topic: string };

export class WebPush {
  constructor(
    private hub: Hub,
    private quiet: Quiet,
  ) {
    quiet.onSummary((notice) => this.toEverySub(notice, "summary"));
    hub.events.whenAway((ev) => this.notify(ev));
    hub.outbox.register("push", (payload: QueuedPush, row) => this.send(payload, row.attempts + 1));
  }

  add(sub: PushSub): void {
    this.hub.store.pushSubs.add(sub, Date.now());
  }

  remove(endpoint: string): boolean {
    return this.hub.store.pushSubs.remove(endpoint);
  }

  private notify(ev: HubEvent): void {
    if (!this.vapid()) return;
    const { store } = this.hub;
    const notice = noticeFor(ev, this.hub.me, {
      // Group members who are not friends are not cached here: their notice names the group only.
      person: (id) => store.friends.get(id)?.displayName,
      conversation: (id) => store.conversations.title(id),
    });
    if (!notice || store.pushSubs.all().length === 0) return;
    const verdict = this.quiet.verdict(notice);
    if (verdict === "hold") return this.quiet.hold(notice);
    if (verdict === "push") this.toEverySub(notice, notice.type === "message" ? notice.conv : notice.type === "mail" ? "mail" : "friend-requests");
  }

  private toEverySub(notice: PushNotice, topic: string): void {
    if (!this.vapid()) return;
    const subs = this.hub.store.pushSubs.all();
    if (subs.length === 0) return;
    for (const s of subs) this.hub.outbox.enqueue(this.hub.me, "push", { endpoint: s.endpoint, notice, topic } satisfies QueuedPush);
    this.hub.outbox.flush();
  }

  private vapid(): VapidKeys | undefined {
    const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey, VAPID_SUBJECT, MAIL_DOMAIN } = this.hub.env;
    return publicKey && privateKey ? { publicKey, privateKey, subject: VAPID_SUBJECT ?? `mailto:push@${MAIL_DOMAIN}` } : undefined;
  }

  /** One push from the outbox. Throws to be retried; a push that cannot be delivered is dropped. */
  private async send(payload: QueuedPush, attempts: number): Promise<void> {
    const sub = this.hub.store.pushSubs.get(payload.endpoint);
    const keys = this.vapid();
    if (!sub || !keys) return; // unsubscribed since, or push turned off
    const outcome = await sendPush(sub, JSON.stringify(payload.notice), keys, { topic: await pushTopic(payload.topic) });
    const service = new URL(sub.endpoint).origin;
    if (outcome === "gone") this.hub.store.pushSubs.remove(sub.endpoint);
    if (outcome === "rejected") this.hub.log("warn", "push.rejected", { service });
    if (outcome === "retry" && attempts < PUSH_ATTEMPTS) throw new Error(`push service ${service} busy or unreachable`);
  }
}
