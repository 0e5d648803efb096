// A location in a bubble (or in the confirm sheet): coordinates and an "open in maps" link
// always, and a small map that loads only once the card scrolls into view. When Leaflet
// or the tiles cannot load, the text and the link are what remains.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { type MapState, formatCoord, mapsUrl, showMap } from "./map";

type Props = { lat: number; lng: number; accuracy?: number; label?: string; interactive?: boolean };

export function LocationCard({ lat, lng, accuracy, label, interactive }: Props) {
  const state = useSignal<MapState | "idle">("idle");
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let dispose: (() => void) | undefined;
    let gone = false;
    const start = () => {
      state.value = "loading";
      showMap(el, { lat, lng, accuracy, interactive, onState: (s) => !gone && (state.value = s) })
        .then((d) => (gone ? d() : (dispose = d)))
        .catch((err) => {
          console.warn("unibox: map not shown", err);
          if (!gone) state.value = "unavailable";
        });
    };
    if (typeof IntersectionObserver === "undefined") start();
    const io = typeof IntersectionObserver === "undefined" ? undefined : new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      io?.disconnect();
      start();
    }, { rootMargin: "200px" });
    io?.observe(el);
    return () => {
      gone = true;
      io?.disconnect();
      dispose?.();
    };
  }, [lat, lng, accuracy, interactive]);

  const s = state.value;
  return (
    <figure class="location" data-map={s}>
      <div class="map-frame">
        {/* No role here: Leaflet puts its attribution links inside; the caption below says where it is. */}
        <div ref={box} class="map" />
        {s === "unavailable" && <p class="map-fallback">{t("loc.noMap")}</p>}
      </div>
      <figcaption>
        {label && <span class="loc-label">{label}</span>}
        <span class="loc-coords">
          {formatCoord(lat, lng)}
          {accuracy !== undefined && <> · {t("loc.accuracy", { m: Math.round(accuracy) })}</>}
        </span>
        <a class="loc-open" href={mapsUrl(lat, lng)} target="_blank" rel="noopener noreferrer">{t("loc.open")}</a>
      </figcaption>
    </figure>
  );
}
