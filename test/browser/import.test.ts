// Find friends from contacts on a phone without the Contact Picker (iOS, desktops): a
// vCard export of 50 contacts, three of whom are on Unibox under numbers written three
// different ways, finds exactly those three by their contact names; Add sends a request
// the other phone sees. The import card with its result is axe-clean in light and dark.
// Users are made through the sign-up form (support.ts), as a new user would.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { type Person, checkScreen, launchChromium, newPhone, person, signUp, tab } from "./support";

let server: DevServer;
let browser: Browser;
const phones: { context: BrowserContext; page: Page; who: Person }[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  for (const name of ["Uma", "Vik", "Wen", "Seeker"]) phones.push({ ...(await newPhone(browser, server.url)), who: person(name) });
  for (const p of phones) await signUp(p.page, p.who);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A vCard 3.0 card as phones export it. */
const card = (name: string, tel: string) => ["BEGIN:VCARD", "VERSION:3.0", `FN:${name}`, `N:${name.split(" ").reverse().join(";")};;;`, `TEL;TYPE=CELL:${tel}`, "END:VCARD"].join("\r\n");

describe("import contacts", () => {
  it("finds the 3 users among 50 contacts from a vCard, by their contact names", async () => {
    const [uma, vik, wen, seeker] = phones as [typeof phones[0], typeof phones[0], typeof phones[0], typeof phones[0]];
    const n = (p: Person) => p.phone; // national US digits, e.g. 6502123456
    const on = [
      card("Uma from climbing", `(${n(uma.who).slice(0, 3)}) ${n(uma.who).slice(3, 6)}-${n(uma.who).slice(6)}`),
      card("Vik Kumar", `+1 ${n(vik.who).slice(0, 3)} ${n(vik.who).slice(3, 6)} ${n(vik.who).slice(6)}`),
      card("Wen (neighbour)", `1-${n(wen.who).slice(0, 3)}-${n(wen.who).slice(3, 6)}-${n(wen.who).slice(6)}`),
    ];
    // 47 people who are not on Unibox: fictional US numbers and a few abroad.
    const off = Array.from({ length: 47 }, (_, i) => card(`Contact ${i + 1}`, i % 5 === 0 ? `+44 20 7946 ${String(i).padStart(4, "0")}` : `+1 202 555 ${String(100 + i).padStart(4, "0")}`));
    const vcf = [...off.slice(0, 20), on[0], ...off.slice(20, 35), on[1], ...off.slice(35), on[2]].join("\r\n") + "\r\n";
    expect(vcf.match(/BEGIN:VCARD/g)).toHaveLength(50);

    const page = seeker.page;
    await tab(page, "Contacts");
    // No Contact Picker in this browser: the import card is what there is, with the region shown.
    expect(await page.getByRole("button", { name: "Choose contacts" }).count()).toBe(0);
    expect(await page.locator("#import-region").inputValue()).toBe("US");
    expect(await page.locator("#import-region option:checked").textContent()).toBe("United States");
    await page.setInputFiles("input[data-import-file]", { name: "contacts.vcf", mimeType: "text/vcard", buffer: Buffer.from(vcf) });
    await page.getByRole("status").filter({ hasText: "Checked 50 numbers: 3 on Unibox." }).waitFor({ timeout: 15_000 });
    const found = page.locator("#import-title ~ ul li[data-match], section[aria-labelledby=import-title] li[data-match]");
    expect((await found.locator(".title").allTextContents()).sort()).toEqual(["Uma from climbing", "Vik Kumar", "Wen (neighbour)"]);
    expect((await found.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-match")))).sort()).toEqual([uma.who.handle, vik.who.handle, wen.who.handle].sort());
    await checkScreen(page, "contacts-import", () => found.first().waitFor());

    await page.getByRole("button", { name: "Add Vik Kumar" }).click();
    await found.filter({ hasText: "Vik Kumar" }).getByText("Request sent").waitFor();
    await tab(vik.page, "Contacts");
    await vik.page.locator("li.request", { hasText: seeker.who.displayName }).waitFor();
  });
});
