// The Social tab and the composer in jsdom: posts with badges, pictures and links; new posts
// held behind the pill; actions only where the network has them; "To:" chips resolved like
// the hub does, counted like the link counts, split or edit when over; one send or one
// broadcast; the result card following status events, with Retry for a failed target.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { setLocale } from "../i18n";
import { accounts } from "../state/accounts";
import { startConnection, stopConnection } from "../state/connection";
import { handleFrame, resetSyncState, settled } from "../state/sync";
import { cards, networkInfo, type Post, posts, resetSocialState } from "../state/social";
import { me } from "../state/session";
import type { Account } from "../state/types";
import Social from "./social";
import Compose, { lengthOn, resolveTarget } from "./social-compose";

const acc = (id: string, network: Account["network"], label: string, limits?: Account["limits"]): Account => ({ id, network, label, remote: `@alice.${network}`, state: "connected", message: "ok", createdAt: 1, ...(limits ? { limits } : {}) });
const MASTO = acc("a_m", "mastodon", "mastodon", { max: 500, urlChars: 23, mentionDomainsFree: true });
const SKY = acc("a_b", "bluesky", "bluesky", { max: 300 });
const BLOG = acc("a_f", "feed", "Blog");
const INFO = {
  mastodon: { network: "mastodon", limits: { max: 500, urlChars: 23, mentionDomainsFree: true }, actions: ["reply", "boost", "like"] as const },
  bluesky: { network: "bluesky", limits: { max: 300 }, actions: ["reply", "boost", "like"] as const },
  feed: { network: "feed" },
};
const post = (id: string, network: Account["network"], account: string, text: string, extra: Partial<Post> = {}): Post => ({
  id, account, network, kind: "status", author: { id: "@bob@example.social", name: "Bob" }, text, at: Date.UTC(2026, 10, 1), remoteId: `r_${id}`, url: `https://example.social/@bob/${id}`, ...extra,
});

/** Answers the client's HTTP like the Worker would, from a table. */
function serve(routes: Record<string, unknown>) {
  const calls: string[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    calls.push(`${init?.method ?? (input instanceof Request ? input.method : "GET")} ${url.pathname}`);
    const body = routes[url.pathname];
    return body === undefined ? new Response(JSON.stringify({ error: { code: "not_found", message: "no" } }), { status: 404 }) : new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  });
  return calls;
}

async function online(): Promise<FakeSocket> {
  startConnection({ url: "ws://test/api/ws", resume: () => 1, onFrame: (f) => void handleFrame(f), WebSocketImpl: FakeSocket as unknown as typeof WebSocket, random: () => 0 });
  await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
  const s = FakeSocket.last;
  s.open();
  s.deliver({ t: "ready", head: 1 });
  await settled();
  return s;
}

beforeEach(() => {
  setLocale("en");
  resetSyncState();
  resetSocialState();
  FakeSocket.all = [];
  me.value = { id: "u_me", handle: "me", address: "me@x", displayName: "Me" };
  accounts.value = [MASTO, SKY, BLOG];
  networkInfo.value = INFO as never;
});
afterEach(() => {
  stopConnection();
  vi.unstubAllGlobals();
});

describe("resolving and counting targets", () => {
  it("reads a name as the hub does: a label first, else a network with one account; unknown names list the networks", () => {
    expect(resolveTarget("Mastodon", accounts.value, INFO as never)).toMatchObject({ ok: true, account: { id: "a_m" }, limits: { max: 500 } });
    expect(resolveTarget("myspace", accounts.value, INFO as never)).toEqual({ ok: false, name: "myspace", error: "You have no account called “myspace”. Your networks: mastodon, bluesky." });
    expect(resolveTarget("blog", accounts.value, INFO as never)).toMatchObject({ ok: false, error: "Blog is read-only: posts can't go there." });
    const two = [acc("a_m1", "mastodon", "Home"), acc("a_m2", "mastodon", "Work"), SKY];
    expect(resolveTarget("mastodon", two, INFO as never)).toMatchObject({ ok: false, error: "You have 2 mastodon accounts: name one by its label (Home, Work)." });
    expect(resolveTarget("work", two, INFO as never)).toMatchObject({ ok: true, account: { id: "a_m2" } });
  });

  it("counts as each network does: Mastodon a URL as 23 and by the instance's own limit, Bluesky graphemes", () => {
    const url = `https://example.com/${"x".repeat(200)}`;
    expect(lengthOn(`see ${url}`, MASTO.limits)).toMatchObject({ count: 27, over: 0, parts: 1 });
    expect(lengthOn("👩‍👩‍👧‍👦".repeat(301), SKY.limits)).toMatchObject({ count: 301, over: 1, parts: 2 });
    expect(lengthOn("x ".repeat(600), { max: 5000 })).toMatchObject({ over: 0 }); // an instance allowing 5,000
  });
});

describe("the composer", () => {
  it("takes chips, shows each limit as the user types, offers a thread or an edit when over, and posts one broadcast", async () => {
    const s = await online();
    render(<Compose />);
    const to = screen.getByLabelText("To:");
    fireEvent.input(to, { target: { value: "myspace," } });
    expect(screen.getByRole("alert").textContent).toBe("You have no account called “myspace”. Your networks: mastodon, bluesky.");
    fireEvent.input(to, { target: { value: "mastodon bluesky " } });
    const chips = within(screen.getByRole("list", { name: "Post to" })).getAllByRole("listitem");
    expect(chips.map((c) => c.getAttribute("data-target"))).toEqual(["mastodon", "bluesky"]);

    const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" "); // 409: over Bluesky's 300, within Mastodon's 500
    fireEvent.input(screen.getByPlaceholderText("What's new?"), { target: { value: text } });
    expect(chips[0]!.textContent).toContain("409 / 500");
    expect(chips[1]!.getAttribute("data-over")).toBe("true");
    const post = screen.getByRole("button", { name: "Post" }) as HTMLButtonElement;
    expect(post.disabled).toBe(true);
    expect(screen.getByRole("status").textContent).toContain("bluesky: 109 over the limit of 300.");
    fireEvent.click(screen.getByRole("button", { name: "Post as a thread of 2" }));
    expect(within(screen.getByRole("list", { name: "Post to" })).getAllByRole("listitem")[1]!.textContent).toContain("Thread of 2");
    expect(post.disabled).toBe(false);
    fireEvent.click(post);

    const sent = s.frames().filter((f) => f.t === "broadcast");
    expect(sent).toEqual([{ t: "broadcast", id: expect.any(String), to: [{ network: "mastodon" }, { network: "bluesky", split: true }], body: { type: "text", text } }]);
    const id = sent[0]!.id as string;

    // The hub accepts; Mastodon posts, Bluesky fails; Retry sends `retry` for that one alone.
    await handleFrame({ t: "accepted", id, msgId: "m_1", conv: "r:a_m:timeline", at: 1, targets: [{ msgId: "m_1", conv: "r:a_m:timeline" }, { msgId: "m_2", conv: "r:a_b:timeline" }] });
    await handleFrame({ t: "ev", seq: 2, ev: { type: "status", conv: "r:a_m:timeline", msgIds: ["m_1"], state: "sent", by: "a_m", at: 2, url: "https://example.social/@alice/1" } });
    await handleFrame({ t: "ev", seq: 3, ev: { type: "status", conv: "r:a_b:timeline", msgIds: ["m_2"], state: "failed", by: "a_b", at: 3, code: "remote_unavailable", reason: "Bluesky: HTTP 502" } });
    await settled();
    const card = await screen.findByRole("region", { name: "Your post" });
    const [m, b] = within(card).getAllByRole("listitem");
    expect(m!.getAttribute("data-state")).toBe("sent");
    expect(within(m!).getByRole("link", { name: "View post" }).getAttribute("href")).toBe("https://example.social/@alice/1");
    expect(b!.getAttribute("data-state")).toBe("failed");
    expect(b!.textContent).toContain("Failed: The other network isn't answering. Unibox will keep trying. (Bluesky: HTTP 502)");
    fireEvent.click(within(b!).getByRole("button", { name: "Retry" }));
    expect(s.frames().filter((f) => f.t === "retry")).toEqual([{ t: "retry", msgId: "m_2" }]);
    expect(cards.value[0]!.targets[1]!.state).toBe("queued");
    await handleFrame({ t: "ev", seq: 4, ev: { type: "broadcast.status", id, target: 1, state: "sent", msgId: "m_2", url: "https://bsky.app/profile/alice.test/post/3abc", at: 4 } });
    await settled();
    await waitFor(() => expect(within(screen.getByRole("region", { name: "Your post" })).getAllByRole("listitem")[1]!.getAttribute("data-state")).toBe("sent"));
  });

  it("one target is one send; a card not yet accepted goes again with the same id when the socket is back", async () => {
    let s = await online();
    render(<Compose />);
    fireEvent.input(screen.getByLabelText("To:"), { target: { value: "bluesky," } });
    fireEvent.input(screen.getByPlaceholderText("What's new?"), { target: { value: "hello" } });
    fireEvent.click(screen.getByRole("button", { name: "Post" }));
    const [send] = s.frames().filter((f) => f.t === "send");
    expect(send).toMatchObject({ to: { network: "bluesky" }, body: { type: "text", text: "hello" } });
    s.drop();
    await waitFor(() => expect(FakeSocket.all.length).toBe(2), { timeout: 3000 });
    s = FakeSocket.last;
    s.open();
    s.deliver({ t: "ready", head: 1 });
    await waitFor(() => expect(s.frames().filter((f) => f.t === "send")).toEqual([send]));
  });
});

describe("the Social tab", () => {
  it("shows posts with badge, author, text, pictures and a link out; actions only where the network has them", async () => {
    const calls = serve({
      "/api/feed": { posts: [post("p_2", "bluesky", "a_b", "a skeet"), post("p_1", "mastodon", "a_m", "a toot", { media: ["md_1"], boosted: true }), post("p_0", "feed", "a_f", "Entry 1\n\nBody", { kind: "entry", url: "https://blog.example/1" })] },
    });
    render(<Social />);
    const items = await screen.findAllByRole("listitem");
    const [sky, toot, entry] = items.filter((li) => li.getAttribute("data-post"));
    expect(calls).toContain("GET /api/feed");
    expect(within(toot!).getByText("Masto")).toBeTruthy();
    expect(within(toot!).getByText("a toot")).toBeTruthy();
    expect(within(toot!).getByRole("img", { name: "Picture 1" }).getAttribute("src")).toBe("/api/media/md_1");
    expect(within(toot!).getByRole("link", { name: "Open on Mastodon" }).getAttribute("href")).toBe("https://example.social/@bob/p_1");
    expect(within(toot!).getByRole("button", { name: "Boosted" }).getAttribute("aria-pressed")).toBe("true");
    expect(within(sky!).getByRole("button", { name: "Repost" })).toBeTruthy(); // Bluesky's word
    expect(within(sky!).getByRole("button", { name: "Like" })).toBeTruthy();
    expect(within(entry!).queryByRole("button")).toBeNull(); // a feed entry: read only
    expect(within(entry!).getByRole("link", { name: "Open on Feed" })).toBeTruthy();
  });

  it("holds new posts behind the pill, so the list does not move, and shows them on a tap", async () => {
    serve({ "/api/feed": { posts: [post("p_1", "mastodon", "a_m", "first")] } });
    render(<Social />);
    await screen.findByText("first");
    await handleFrame({ t: "ev", seq: 2, ev: { type: "post", post: post("p_2", "bluesky", "a_b", "second") } });
    await handleFrame({ t: "ev", seq: 3, ev: { type: "post", post: post("p_3", "bluesky", "a_b", "third") } });
    await settled();
    const pill = await screen.findByRole("button", { name: "2 new posts" });
    expect(posts.value.map((p) => p.id)).toEqual(["p_1"]);
    expect(screen.queryByText("third")).toBeNull();
    fireEvent.click(pill);
    await waitFor(() => expect(screen.getAllByRole("listitem").filter((li) => li.getAttribute("data-post")).map((li) => li.getAttribute("data-post"))).toEqual(["p_3", "p_2", "p_1"]));
    // The user's own post goes straight in.
    await handleFrame({ t: "ev", seq: 4, ev: { type: "post", post: post("p_4", "mastodon", "a_m", "mine", { kind: "own" }) } });
    await settled();
    expect(screen.queryByRole("button", { name: /new post/ })).toBeNull();
    await screen.findByText("mine");
  });

  it("boosts and likes through the server, and shows a refusal in words", async () => {
    const calls = serve({ "/api/feed": { posts: [post("p_1", "mastodon", "a_m", "a toot")] }, "/api/feed/p_1/like": { ok: true } });
    render(<Social />);
    const item = (await screen.findByText("a toot")).closest("li")!;
    fireEvent.click(within(item).getByRole("button", { name: "Like" }));
    await waitFor(() => expect(within(item).getByRole("button", { name: "Liked" }).getAttribute("aria-pressed")).toBe("true"));
    expect(calls).toContain("POST /api/feed/p_1/like");
    fireEvent.click(within(item).getByRole("button", { name: "Boost" }));
    expect((await within(item).findByRole("alert")).textContent).toContain("Boost didn't work");
  });
});
