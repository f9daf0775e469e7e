// Draws the app icons (a white speech bubble on blue) as PNG files with nothing but zlib, so the
// icons are reproducible from source: node scripts/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const BLUE = [0x1f, 0x5f, 0xa8];
const WHITE = [0xff, 0xff, 0xff];

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// Coverage of one pixel by the shape, 4x4 supersampled for smooth edges.
function draw(size, { maskable }) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const radius = maskable ? 0 : size * 0.2; // rounded-square background
  const scale = maskable ? 0.7 : 0.86;
  const cx = size / 2, cy = size * 0.46;
  const rx = (size * 0.36) * scale, ry = (size * 0.27) * scale;
  const inBackground = (x, y) => {
    if (radius === 0) return true;
    const dx = Math.max(radius - x, 0, x - (size - radius));
    const dy = Math.max(radius - y, 0, y - (size - radius));
    return dx * dx + dy * dy <= radius * radius;
  };
  const inBubble = (x, y) => {
    const ex = (x - cx) / rx, ey = (y - cy) / ry;
    if (ex * ex + ey * ey <= 1) return true;
    // the tail: a triangle below the left half of the ellipse
    const tx0 = cx - rx * 0.45, ty0 = cy + ry * 0.6, tx1 = cx - rx * 0.05, tx2 = cx - rx * 0.7, ty2 = cy + ry * 1.45;
    const u = (y - ty0) / (ty2 - ty0);
    if (u < 0 || u > 1) return false;
    const left = tx0 + (tx2 - tx0) * u, right = tx1 + (tx2 - tx1) * u;
    return x >= left && x <= right;
  };
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    raw[row] = 0;
    for (let x = 0; x < size; x++) {
      let bg = 0, fg = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const px = x + (sx + 0.5) / 4, py = y + (sy + 0.5) / 4;
          if (inBackground(px, py)) {
            bg++;
            if (inBubble(px, py)) fg++;
          }
        }
      const a = bg / 16, f = bg ? fg / bg : 0;
      const o = row + 1 + x * 4;
      for (let k = 0; k < 3; k++) raw[o + k] = Math.round(BLUE[k] * (1 - f) + WHITE[k] * f);
      raw[o + 3] = Math.round(a * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync('public/icons', { recursive: true });
writeFileSync('public/icons/icon-192.png', draw(192, { maskable: false }));
writeFileSync('public/icons/icon-512.png', draw(512, { maskable: false }));
writeFileSync('public/icons/icon-512-maskable.png', draw(512, { maskable: true }));
writeFileSync(
  'public/icons/icon.svg',
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="13" fill="#1f5fa8"/>` +
    `<ellipse cx="32" cy="29.4" rx="19.8" ry="14.9" fill="#fff"/><path d="M26.6 38.4 L31.1 38.4 L22.7 50.6 Z" fill="#fff"/></svg>\n`,
);
