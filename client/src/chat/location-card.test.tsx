// A location message: coordinates and the maps link are always there; the map loads only
// once the card is on screen, and when Leaflet or the tiles fail it says so and the text remains.
import { render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { LocationCard } from "./location-card";
import type { MapOptions } from "./map";

const showMap = vi.hoisted(() => vi.fn<(el: HTMLElement, o: MapOptions) => Promise<() => void>>());
vi.mock("./map", async (importOriginal) => ({ ...(await importOriginal<typeof import("./map")>()), showMap }));

let observers: { cb: IntersectionObserverCallback; el?: Element }[] = [];
const scrollIntoView = () => observers.forEach((o) => o.cb([{ isIntersecting: true, target: o.el! } as IntersectionObserverEntry], {} as IntersectionObserver));

describe("LocationCard", () => {
  beforeEach(() => {
    setLocale("en");
    observers = [];
    showMap.mockReset();
    globalThis.IntersectionObserver = class {
      constructor(private cb: IntersectionObserverCallback) {}
      observe(el: Element) {
        observers.push({ cb: this.cb, el });
      }
      disconnect() {}
    } as unknown as typeof IntersectionObserver;
  });
  afterEach(() => vi.restoreAllMocks());

  const card = () => document.querySelector("figure.location")!;

  it("shows coordinates, accuracy, label and an open-in-maps https link, and loads no map until on screen", () => {
    render(<LocationCard lat={52.52} lng={13.405} accuracy={12.4} label="Alexanderplatz" />);
    expect(screen.getByText("Alexanderplatz")).toBeTruthy();
    expect(card().textContent).toContain("52.52000, 13.40500");
    expect(card().textContent).toContain("±12 m");
    expect(screen.getByRole("link", { name: "Open in maps" }).getAttribute("href")).toBe("https://www.google.com/maps/search/?api=1&query=52.52,13.405");
    expect(showMap).not.toHaveBeenCalled();
    expect(card().getAttribute("data-map")).toBe("idle");
  });

  it("falls back to the text and the link when no tile loads", async () => {
    showMap.mockImplementation(async (_el, o) => {
      o.onState("loading");
      queueMicrotask(() => o.onState("unavailable"));
      return () => undefined;
    });
    render(<LocationCard lat={-33.8568} lng={151.2153} />);
    scrollIntoView();
    expect(showMap).toHaveBeenCalledTimes(1);
    expect(showMap.mock.calls[0]![1]).toMatchObject({ lat: -33.8568, lng: 151.2153 });
    await screen.findByText("Map unavailable");
    expect(card().getAttribute("data-map")).toBe("unavailable");
    expect(card().textContent).toContain("-33.85680, 151.21530");
    expect(screen.getByRole("link", { name: "Open in maps" }).getAttribute("href")).toBe("https://www.google.com/maps/search/?api=1&query=-33.8568,151.2153");
  });

  it("falls back the same way when the map code itself cannot load (offline, blocked)", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    showMap.mockRejectedValue(new TypeError("Failed to fetch dynamically imported module"));
    render(<LocationCard lat={1} lng={2} />);
    scrollIntoView();
    await screen.findByText("Map unavailable");
    expect(screen.getByRole("link", { name: "Open in maps" }).getAttribute("href")).toBe("https://www.google.com/maps/search/?api=1&query=1,2");
  });

  it("shows the map once tiles load, and removes it when the card goes away", async () => {
    const remove = vi.fn();
    showMap.mockImplementation(async (_el, o) => {
      queueMicrotask(() => o.onState("ready"));
      return remove;
    });
    const { unmount } = render(<LocationCard lat={1} lng={2} />);
    scrollIntoView();
    await vi.waitFor(() => expect(card().getAttribute("data-map")).toBe("ready"));
    expect(screen.queryByText("Map unavailable")).toBeNull();
    unmount();
    await vi.waitFor(() => expect(remove).toHaveBeenCalled());
  });
});

describe("mapsUrl", () => {
  it("opens Apple Maps on Apple devices and Google Maps elsewhere, never a bare geo: link", async () => {
    const { mapsUrl } = await vi.importActual<typeof import("./map")>("./map");
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
    const android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36";
    expect(mapsUrl(52.52, 13.405, iphone)).toBe("https://maps.apple.com/?ll=52.52,13.405&q=52.52,13.405");
    expect(mapsUrl(52.52, 13.405, android)).toBe("https://www.google.com/maps/search/?api=1&query=52.52,13.405");
  });
});
