// The small map under a location. Leaflet (~40 KB gz) and its CSS load only when a map
// is about to be on screen. Tiles come from a configurable URL (see tileSource()), and a
// map whose tiles never load says so, so the card can fall back to plain coordinates.

export type TileSource = { url: string; attribution: string };
export type MapState = "loading" | "ready" | "unavailable";

const OSM: TileSource = {
  url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
};

/**
 * Where tiles come from, first match wins:
 *   1. `<meta name="unibox-tiles" content="https://…/{z}/{x}/{y}.png">` in the page (and
 *      `<meta name="unibox-tiles-attribution" content="…">`), read at the time a map opens,
 *      so a deployment (or a test) can change it without a rebuild;
 *   2. the build-time variable `VITE_UNIBOX_TILES` (and `VITE_UNIBOX_TILES_ATTRIBUTION`);
 *   3. OpenStreetMap's standard tiles.
 */
export function tileSource(): TileSource {
  const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content?.trim() || undefined;
  const env = (import.meta as { env?: Record<string, string | undefined> }).env ?? {};
  const url = meta("unibox-tiles") ?? env.VITE_UNIBOX_TILES ?? OSM.url;
  const attribution = meta("unibox-tiles-attribution") ?? env.VITE_UNIBOX_TILES_ATTRIBUTION ?? (url === OSM.url ? OSM.attribution : "");
  return { url, attribution };
}

export type MapOptions = { lat: number; lng: number; accuracy?: number; interactive?: boolean; onState: (s: MapState) => void };

/** Draws a map with a marker (and the accuracy circle) into `el`; returns a function that removes it. */
export async function showMap(el: HTMLElement, o: MapOptions): Promise<() => void> {
  const [{ default: L }] = await Promise.all([import("leaflet"), import("leaflet/dist/leaflet.css")]);
  const interactive = o.interactive ?? false;
  const map = L.map(el, {
    center: [o.lat, o.lng],
    zoom: 15,
    zoomControl: interactive,
    dragging: interactive,
    touchZoom: interactive,
    doubleClickZoom: interactive,
    scrollWheelZoom: false,
    boxZoom: false,
    keyboard: false,
    attributionControl: true,
  });
  const source = tileSource();
  let loaded = 0;
  let failed = 0;
  const report = () => o.onState(loaded > 0 ? "ready" : failed > 0 ? "unavailable" : "loading");
  L.tileLayer(source.url, { attribution: source.attribution, maxZoom: 19 })
    .on("tileload", () => {
      loaded++;
      report();
    })
    .on("tileerror", () => {
      failed++;
      report();
    })
    .addTo(map);
  map.attributionControl.setPrefix(false);
  // A vector marker: no marker images to resolve through the bundler.
  if (o.accuracy && o.accuracy > 0) L.circle([o.lat, o.lng], { radius: o.accuracy, weight: 1, color: "#0b63ce", fillOpacity: 0.12, interactive: false }).addTo(map);
  L.circleMarker([o.lat, o.lng], { radius: 8, weight: 3, color: "#ffffff", fillColor: "#d93025", fillOpacity: 1, interactive: false }).addTo(map);
  return () => map.remove();
}

/** A `geo:` URI (RFC 5870): Android hands it to a maps app, iOS and desktops do nothing with it. */
export const geoUri = (lat: number, lng: number) => `geo:${lat},${lng}`;

/**
 * An "open in maps" link that works everywhere: Apple Maps' URL on Apple devices (it opens
 * the Maps app), Google Maps' universal URL elsewhere (the app on Android, the site on a
 * desktop). Both are documented, stable https URL schemes.
 */
export function mapsUrl(lat: number, lng: number, ua = typeof navigator === "undefined" ? "" : navigator.userAgent): string {
  const at = `${lat},${lng}`;
  if (/iPhone|iPad|iPod|Macintosh/.test(ua)) return `https://maps.apple.com/?ll=${at}&q=${at}`;
  return `https://www.google.com/maps/search/?api=1&query=${at}`;
}

export const formatCoord = (lat: number, lng: number) => `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
