// Contacts from the files phones and mail programs export: vCard 2.1, 3.0 and 4.0 (RFC
// 6350: folded lines, escapes, grouped properties, tel: URIs, quoted-printable names),
// CSV from Google Contacts and spreadsheets (RFC 4180 quoting, ";" separators), and text
// pasted by hand.
import { describe, expect, it } from "vitest";
import { csvRows, parseContactsFile, parseCsv, parsePasted, parseVCard } from "./contacts-file";

describe("vCard", () => {
  it("reads names and every number of each card, across versions", () => {
    const file = [
      "BEGIN:VCARD", "VERSION:4.0", "FN:Ana Lima", "TEL;TYPE=cell;VALUE=uri:tel:+1-415-555-0101", "TEL;TYPE=work:+1 415 555 0102", "END:VCARD",
      "BEGIN:VCARD", "VERSION:3.0", "N:Builder;Bo;;;", "item1.TEL;type=CELL:(415) 555-0103", "END:VCARD",
      // 2.1, as old Android phones write it: a quoted-printable UTF-8 name.
      "BEGIN:VCARD", "VERSION:2.1", "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E5=B0=8F=E6=98=8E", "TEL;CELL:13800138000", "END:VCARD",
      "BEGIN:VCARD", "VERSION:3.0", "FN:No Number", "EMAIL:x@example.com", "END:VCARD",
    ].join("\r\n");
    expect(parseVCard(file)).toEqual([
      { name: "Ana Lima", tels: ["+1-415-555-0101", "+1 415 555 0102"] },
      { name: "Bo Builder", tels: ["(415) 555-0103"] },
      { name: "王小明", tels: ["13800138000"] },
      { name: "No Number", tels: [] },
    ]);
  });

  it("unfolds long lines and unescapes text values", () => {
    const file = "BEGIN:VCARD\nVERSION:3.0\nFN:Smith\\, Jo\n  hn\nTEL:+44 20\n 7946 0958\nEND:VCARD\n";
    expect(parseVCard(file)).toEqual([{ name: "Smith, Jo hn", tels: ["+44 207946 0958"] }]);
  });
});

describe("CSV", () => {
  it("splits RFC 4180 fields: quotes, doubled quotes, commas and line breaks inside quotes", () => {
    expect(csvRows('a,"b, c","say ""hi""","two\nlines"\r\n1,2,3,4\n')).toEqual([["a", "b, c", 'say "hi"', "two\nlines"], ["1", "2", "3", "4"]]);
    expect(csvRows("Name;Phone\nAna;+1 415 555 0101")).toEqual([["Name", "Phone"], ["Ana", "+1 415 555 0101"]]);
  });

  it("reads a Google Contacts export: several phone columns, ' ::: ' between numbers, type columns ignored", () => {
    const file = [
      "First Name,Last Name,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value",
      "Ana,Lima,Mobile,+1 415 555 0101 ::: +1 415 555 0109,Work,",
      "Bo,,Mobile,(415) 555-0103,,",
      "Nobody,,,,,",
    ].join("\n");
    expect(parseCsv(file)).toEqual([
      { name: "Ana Lima", tels: ["+1 415 555 0101", "+1 415 555 0109"] },
      { name: "Bo", tels: ["(415) 555-0103"] },
    ]);
  });

  it("reads a sheet with a Chinese header, and one with no header at all", () => {
    expect(parseCsv("姓名,手机\n王小明,138 0013 8000\n")).toEqual([{ name: "王小明", tels: ["138 0013 8000"] }]);
    expect(parseCsv("Ana,+1 415 555 0101\nBo,415.555.0103\n")).toEqual([{ name: "Ana", tels: ["+1 415 555 0101"] }, { name: "Bo", tels: ["415.555.0103"] }]);
  });
});

describe("pasted numbers", () => {
  it("takes one per line or separated by commas, with an optional name before it", () => {
    expect(parsePasted("Ana: 415 555 0101\n+86 138 0013 8000, Bo - (415) 555-0103\n\nnot a number\n12")).toEqual([
      { name: "Ana", tels: ["415 555 0101"] },
      { name: "", tels: ["+86 138 0013 8000"] },
      { name: "Bo", tels: ["(415) 555-0103"] },
    ]);
  });
});

it("tells a vCard from a CSV by its name, its type or its first line", () => {
  const card = "BEGIN:VCARD\nFN:A\nTEL:4155550101\nEND:VCARD";
  expect(parseContactsFile("export.txt", "", card)).toEqual([{ name: "A", tels: ["4155550101"] }]);
  expect(parseContactsFile("c.csv", "text/csv", "Name,Phone\nA,4155550101")).toEqual([{ name: "A", tels: ["4155550101"] }]);
});
