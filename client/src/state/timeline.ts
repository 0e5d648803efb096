// An own message's way with times (issue 14), fetched when the user asks for it.
import { api, call } from "./api";
import type { TimelineStep } from "../../../core/protocol";

export type { TimelineStep };
export type MessageTimeline = { msgId: string; conv: string; state: string; steps: TimelineStep[]; readBy?: string[] };

export async function fetchTimeline(conv: string, msgId: string): Promise<MessageTimeline> {
  const { timeline } = await call(api.api.conversations[":id"].messages[":msgId"].timeline.$get({ param: { id: conv, msgId } }));
  return timeline as MessageTimeline;
}
