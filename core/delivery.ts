// How far an own message got, in order. Kept free of zod so the client's first route can
// use it. A state only ever rises: a late `delivered` never lowers a `read`. `failed` sits
// just above `queued`, so a retry that then goes through rises from it to `sent`.
import type { DeliveryState } from "./protocol";

export const DELIVERY_RANK: Record<DeliveryState, number> = { queued: 0, failed: 1, sent: 2, delivered: 3, read: 4 };

/** Whether `next` is further along than `current` (no state counts as nothing yet). */
export const rises = (current: DeliveryState | undefined, next: DeliveryState): boolean => current === undefined || DELIVERY_RANK[next] > DELIVERY_RANK[current];
