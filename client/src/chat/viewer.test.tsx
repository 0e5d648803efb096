// The full-size picture: a double tap zooms in where it was tapped and out again, two
// fingers pinch, Save downloads the original, Escape closes.
import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { Viewer, ZOOM } from "./viewer";

const zoom = () => Number(document.querySelector(".viewer")!.getAttribute("data-zoom"));

describe("Viewer", () => {
  it("zooms on a double tap, pinches, saves and closes", () => {
    setLocale("en");
    const onClose = vi.fn();
    render(<Viewer src="/api/media/md_1" name="unibox-md_1" onClose={onClose} />);
    const stage = document.querySelector(".viewer-stage")!;
    expect(zoom()).toBe(1);
    const tap = (id: number) => {
      fireEvent.pointerDown(stage, { pointerId: id, pointerType: "touch", clientX: 100, clientY: 100 });
      fireEvent.pointerUp(stage, { pointerId: id, pointerType: "touch", clientX: 100, clientY: 100 });
    };
    tap(1);
    expect(zoom()).toBe(1); // one tap is not a zoom
    tap(2);
    expect(zoom()).toBe(ZOOM.double);
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 1000);
    tap(3);
    tap(4);
    expect(zoom()).toBe(1);
    vi.restoreAllMocks();

    // Two fingers 100 px apart move to 300 px apart: three times the size.
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 5000);
    fireEvent.pointerDown(stage, { pointerId: 5, pointerType: "touch", clientX: 100, clientY: 200 });
    fireEvent.pointerDown(stage, { pointerId: 6, pointerType: "touch", clientX: 200, clientY: 200 });
    fireEvent.pointerMove(stage, { pointerId: 6, pointerType: "touch", clientX: 400, clientY: 200 });
    expect(zoom()).toBe(3);
    vi.restoreAllMocks();

    const save = screen.getByRole("link", { name: "Save picture" });
    expect([save.getAttribute("href"), save.getAttribute("download")]).toEqual(["/api/media/md_1", "unibox-md_1"]);
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Close" }));
    fireEvent.keyDown(document, { key: "Escape" });
    expect(onClose).toHaveBeenCalled();
  });
});
