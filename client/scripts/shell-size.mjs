// Prints the app shell's size as a phone downloads it on first load (gzip of index.html plus the
// scripts and style sheets it loads) and fails when it is over the budget.
// Usage: node scripts/shell-size.mjs [dist-dir] [budget-bytes]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? 'dist';
const budget = Number(process.argv[3] ?? 150 * 1024);
const html = readFileSync(join(dist, 'index.html'));
const files = ['index.html'];
const re = /<(?:script[^>]*\bsrc|link[^>]*\brel="(?:stylesheet|modulepreload)"[^>]*\bhref)="\/?([^"]+)"/g;
for (const m of html.toString('utf8').matchAll(re)) if (!m[1].startsWith('http')) files.push(m[1]);
let total = 0;
for (const f of files) {
  const gz = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
  total += gz;
  console.log(`${String(gz).padStart(8)}  ${f}`);
}
console.log(`${String(total).padStart(8)}  app shell, gzipped (${(total / 1024).toFixed(1)} KB of ${(budget / 1024).toFixed(0)} KB)`);
if (files.length < 2) {
  console.error('shell-size: index.html loads no script: is this a Vite build?');
  process.exit(1);
}
if (total > budget) {
  console.error(`shell-size: the app shell is over budget by ${total - budget} bytes`);
  process.exit(1);
}
