// The fake Twilio refuses what Twilio's Messages API refuses, with Twilio's codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeTwilio, startFakeTwilio } from "../support/fake-twilio";

let twilio: FakeTwilio;
beforeAll(async () => {
  twilio = await startFakeTwilio();
});
afterAll(() => twilio.close());

async function create(fields: Record<string, string>, opts: { auth?: string; type?: string; path?: string } = {}) {
  const res = await fetch(`${twilio.url}${opts.path ?? `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`}`, {
    method: "POST",
    headers: { Authorization: opts.auth ?? `Basic ${btoa(`${twilio.accountSid}:${twilio.authToken}`)}`, "Content-Type": opts.type ?? "application/x-www-form-urlencoded" },
    body: opts.type === "application/json" ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("fake Twilio Messages API", () => {
  it("takes a valid message and answers 201 with the resource", async () => {
    const res = await create({ To: "+14155550100", From: twilio.from, Body: "Your code is 123456" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), account_sid: twilio.accountSid, to: "+14155550100", status: "queued", api_version: "2010-04-01" });
    expect(twilio.codeFor("+14155550100")).toBe("123456");
    const viaService = await create({ To: "+14155550100", MessagingServiceSid: twilio.messagingServiceSid, Body: "x" });
    expect([viaService.status, viaService.body.status]).toEqual([201, "accepted"]);
  });

  it("refuses what Twilio refuses, with Twilio's error codes", async () => {
    const cases: [Parameters<typeof create>, number, number][] = [
      [[{ To: "+14155550100", From: twilio.from, Body: "x" }, { auth: `Basic ${btoa(`${twilio.accountSid}:wrong`)}` }], 401, 20003],
      [[{ To: "+14155550100", From: twilio.from, Body: "x" }, { auth: "" }], 401, 20003],
      [[{ To: "+14155550100", From: twilio.from, Body: "x" }, { path: `/2010-04-01/Accounts/${twilio.accountSid}/Calls.json` }], 404, 20404],
      [[{ From: twilio.from, Body: "x" }], 400, 21604],
      [[{ To: "+14155550100", From: twilio.from, Body: "x" }, { type: "application/json" }], 400, 21604],
      [[{ To: "415-555-0100", From: twilio.from, Body: "x" }], 400, 21211],
      [[{ To: "+14155550100", Body: "x" }], 400, 21603],
      [[{ To: "+14155550100", From: "+15550000000", Body: "x" }], 400, 21606],
      [[{ To: "+14155550100", MessagingServiceSid: "MGnope", Body: "x" }], 400, 21701],
      [[{ To: "+14155550100", From: twilio.from }], 400, 21602],
      [[{ To: "+14155550100", From: twilio.from, Body: "x".repeat(1601) }], 400, 21617],
    ];
    for (const [args, status, code] of cases) {
      const res = await create(...args);
      expect([res.status, res.body.code, res.body.status], JSON.stringify(args).slice(0, 120)).toEqual([status, code, status]);
      expect(res.body.more_info).toBe(`https://www.twilio.com/docs/errors/${code}`);
    }
    expect(twilio.sent.filter((m) => m.body === "x")).toHaveLength(1); // only the Messaging Service one above
  });

  it("fails on request, as a busy or broken Twilio would", async () => {
    twilio.failNext(429, 20429);
    expect((await create({ To: "+14155550100", From: twilio.from, Body: "y" })).body.code).toBe(20429);
    expect((await create({ To: "+14155550100", From: twilio.from, Body: "y" })).status).toBe(201);
  });
});
