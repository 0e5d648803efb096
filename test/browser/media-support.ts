// Fixtures for the group and media browser test: real PNG bytes made with node:zlib, a
// tiny local map tile server (no network here but 127.0.0.1), and Chromium with fake
// camera/microphone devices that need no permission prompt.
import { type Server, createServer } from "node:http";
import { deflateSync } from "node:zlib";
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./support";

/** Chromium with a fake microphone and camera (a beep and a test pattern) and no permission prompts. */
export function launchChromiumWithDevices(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [...CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of `width`×`height` painted by `paint(x, y)`. */
export function png(width: number, height: number, paint: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(paint(x, y), row + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** A photo-like test picture: a sky-to-grass gradient with a sun, 640×480. */
export const testPicture = () =>
  png(640, 480, (x, y) => {
    if (Math.hypot(x - 480, y - 120) < 60) return [255, 200, 40];
    return y < 300 ? [90 + (y >> 2), 150 + (y >> 3), 235] : [60, 140 + ((x + y) % 40), 70];
  });

export type TileServer = { url: string; hits: () => number; close: () => Promise<void> };

/** Serves the same 256×256 tile for every /{z}/{x}/{y}.png, and counts requests. */
export async function startTileServer(): Promise<TileServer> {
  const tile = png(256, 256, (x, y) => ((x >> 5) + (y >> 5)) % 2 ? [230, 226, 214] : [214, 230, 222]);
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url ?? "")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "image/png", "Content-Length": tile.length, "Access-Control-Allow-Origin": "*" }).end(tile);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * An init script that points the app's map tiles at `url` through the documented
 * `<meta name="unibox-tiles">` switch (client/src/chat/map.ts), before any app code runs.
 */
export function tilesMeta(url: string): string {
  return `document.addEventListener("DOMContentLoaded", () => {
    let m = document.querySelector('meta[name="unibox-tiles"]');
    if (!m) { m = document.createElement("meta"); m.name = "unibox-tiles"; document.head.append(m); }
    m.content = ${JSON.stringify(url)};
  });`;
}
