// Draws the PNG app icons (same design as public/icons/icon.svg) with nothing but
// node:zlib, so the repo needs no image tooling and nothing is downloaded.
// Run: node client/scripts/make-icons.mjs
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const BLUE = [11, 99, 206];
const WHITE = [255, 255, 255];

/** Signed distance to a rounded rectangle centred at (cx, cy). */
function roundRect(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function inTriangle(px, py, [ax, ay], [bx, by], [cx, cy]) {
  const s = (x1, y1, x2, y2, x3, y3) => (x1 - x3) * (y2 - y3) - (x2 - x3) * (y1 - y3);
  const d1 = s(px, py, ax, ay, bx, by), d2 = s(px, py, bx, by, cx, cy), d3 = s(px, py, cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/** Colour of a point in the 512-unit design space; `maskable` fills the whole square and shrinks the glyph into the safe zone. */
function shade(u, v, maskable) {
  const k = maskable ? 0.8 : 1;
  const x = 256 + (u - 256) / k, y = 256 + (v - 256) / k;
  if (!maskable && roundRect(u, v, 256, 256, 256, 256, 112) > 0) return null;
  const bubble = roundRect(x, y, 256, 248, 160, 96, 32) <= 0 || inTriangle(x, y, [236, 340], [160, 404], [160, 340]);
  const line = (x0, x1, yy) => Math.abs(y - yy) <= 12 && x >= x0 - 12 && x <= x1 + 12 && (x >= x0 && x <= x1 || Math.hypot(x - (x < x0 ? x0 : x1), y - yy) <= 12);
  if (bubble && !(line(176, 336, 228) || line(176, 280, 276))) return WHITE;
  return BLUE;
}

function png(size, maskable) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const ss = 4; // 4×4 supersampling for smooth edges
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) for (let sx = 0; sx < ss; sx++) {
        const c = shade(((px + (sx + 0.5) / ss) * 512) / size, ((py + (sy + 0.5) / ss) * 512) / size, maskable);
        if (c) { r += c[0]; g += c[1]; b += c[2]; a += 255; }
      }
      const n = ss * ss, o = py * (size * 4 + 1) + 1 + px * 4, cov = a / 255 || 1;
      raw[o] = r / cov; raw[o + 1] = g / cov; raw[o + 2] = b / cov; raw[o + 3] = a / n;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = ihdr[11] = ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

const table = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
function crc32(buf) { let c = 0xffffffff; for (const byte of buf) c = table[(c ^ byte) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; }

const out = new URL("../public/icons/", import.meta.url);
writeFileSync(new URL("icon-192.png", out), png(192, false));
writeFileSync(new URL("icon-512.png", out), png(512, false));
writeFileSync(new URL("icon-maskable-512.png", out), png(512, true));
console.log("icons written to", out.pathname);
