// The broadcast picker and card: a section per network with search, the 20-recipient cap,
// and the card with each recipient's state, the network's reason and Retry for failed ones.
import { fireEvent, render, screen, within } from "@testing-library/preact";
import { beforeEach, describe, expect, it } from "vitest";
import { connectFake, resetClient } from "../../test/sync-harness";
import { setLocale } from "../i18n";
import { accountContacts, accounts } from "../state/accounts";
import { broadcasts, resetBroadcasts } from "../state/broadcast";
import { friends } from "../state/friends";
import { me } from "../state/session";
import type { Account } from "../state/types";
import { BroadcastCard } from "./broadcast-card";
import { pickerSections } from "./broadcast";

const user = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const account = (id: string, network: Account["network"], label: string): Account => ({ id, network, label, remote: "me", state: "connected", message: "connected", createdAt: 1 });

describe("broadcast picker", () => {
  beforeEach(() => {
    setLocale("en");
    me.value = user("u_me", "Me");
    friends.value = [{ user: user("u_b", "Bob"), since: 1, online: false }, { user: user("u_c", "Cleo"), since: 1, online: true }];
    accounts.value = [account("a_x", "xmpp", "Jabber"), account("a_m", "matrix", "matrix"), account("a_e", "irc", "Libera")];
    accountContacts.value = { a_x: [{ id: "bob@jabber.test", name: "Bob J" }], a_m: [{ id: "@carol:matrix.test", name: "Carol" }], a_e: [] };
  });

  it("has a section per network (accounts without contacts left out), and a search narrows every section", () => {
    expect(pickerSections("").map((s) => [s.title, s.items.map((i) => i.name)])).toEqual([
      ["Unibox friends", ["Cleo", "Bob"]], // online first, as everywhere
      ["Jabber · XMPP", ["Bob J"]],
      ["Matrix", ["Carol"]],
    ]);
    expect(pickerSections("bob").map((s) => s.items.map((i) => i.key))).toEqual([["unibox/u_b"], ["a_x/bob@jabber.test"]]);
    expect(pickerSections("matrix.test")[0]!.items[0]!.to).toEqual({ account: "a_m", contact: "@carol:matrix.test" });
    expect(pickerSections("nobody here")).toEqual([]);
  });
});

describe("broadcast card", () => {
  beforeEach(async () => {
    setLocale("en");
    await resetClient();
    resetBroadcasts();
    accounts.value = [account("a_x", "xmpp", "Jabber"), account("a_m", "matrix", "Matrix")];
  });

  it("shows each recipient's state and the reason, with Retry only where a failed message can go again", async () => {
    broadcasts.value = {
      b1: {
        id: "b1", body: { type: "text", text: "Friday?" }, at: 1, accepted: true,
        recipients: [
          { to: { user: "u_b" }, name: "Bob", source: "unibox", state: "delivered", msgId: "m1", conv: "d:u_b:u_me" },
          { to: { account: "a_x", contact: "c@j" }, name: "Carol", source: "a_x", state: "queued", msgId: "m2", conv: "r:a_x:c@j" },
          { to: { account: "a_m", contact: "@d:m" }, name: "Dan", source: "a_m", state: "failed", msgId: "m3", conv: "r:a_m:@d:m", reason: "no room with Dan" },
          { to: { account: "a_m", contact: "@e:m" }, name: "Eve", source: "a_m", state: "failed", reason: "this account was removed" },
        ],
      },
    };
    render(<BroadcastCard b={broadcasts.value.b1!} />);
    const rows = within(screen.getByRole("list", { name: "Recipients" })).getAllByRole("listitem");
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["delivered", "queued", "failed", "failed"]);
    expect(within(rows[0]!).getByText("Delivered")).toBeTruthy();
    expect(within(rows[1]!).getByText("Waiting for the network")).toBeTruthy();
    expect(within(rows[1]!).getByText("Jabber · XMPP")).toBeTruthy();
    expect(within(rows[2]!).getByText("no room with Dan")).toBeTruthy();
    expect(screen.getByText("1 reached · 1 on the way · 2 failed")).toBeTruthy();
    // Eve's never went out (refused at once): no Retry. Dan's can go again.
    expect(within(rows[3]!).queryByRole("button")).toBeNull();
    expect(within(rows[0]!).getByRole("link", { name: "Bob" }).getAttribute("href")).toBe("/chat/d%3Au_b%3Au_me");
    const sock = await connectFake({ ready: 0 });
    fireEvent.click(within(rows[2]!).getByRole("button", { name: "Retry" }));
    expect(sock.frames().filter((f) => f.t === "retry")).toEqual([{ t: "retry", msgId: "m3" }]);
    expect(broadcasts.value.b1!.recipients[2]!.state).toBe("queued");
  });
});
