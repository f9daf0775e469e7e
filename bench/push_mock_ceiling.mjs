// The provider mock's own ceiling (bench/push.sh): the same APNs alerts push_rate sends, from a
// Node http2 client over one session with the same window, so that push_rate's figure can be
// read against what the mock answers at most on this machine.
//
// Usage: node push_mock_ceiling.mjs --url URL --ca FILE --key FILE [--key-id ID] [--team-id ID]
//        [--topic T] [--count N] [--window W] [--runs R] [--mock-pid PID]
// Prints one line per run and a median line; exits non-zero when a request was not answered 200.

import http2 from 'node:http2';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

const opts = { keyId: 'KEY1234567', teamId: 'TEAM123456', topic: 'org.example.parley', count: 20000, window: 500, runs: 3, mockPid: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
  const value = process.argv[i + 1];
  if (!(name in opts) && !['url', 'ca', 'key'].includes(name)) throw new Error(`unknown option ${process.argv[i]}`);
  opts[name] = typeof opts[name] === 'number' ? Number(value) : value;
}
if (!opts.url || !opts.ca || !opts.key) {
  process.stderr.write('usage: push_mock_ceiling.mjs --url URL --ca FILE --key FILE [...]\n');
  process.exit(2);
}

const b64u = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
const key = crypto.createPrivateKey(fs.readFileSync(opts.key));
const input = `${b64u({ alg: 'ES256', kid: opts.keyId })}.${b64u({ iss: opts.teamId, iat: Math.floor(Date.now() / 1000) })}`;
const jwt = `${input}.${crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
const body = JSON.stringify({
  aps: { alert: { title: 'Alice Example', body: 'New message' }, sound: 'default', 'thread-id': 'bench-conversation', category: 'MESSAGE' },
  parley: { kind: 'message', conversation: 'bench-conversation', from: 'alice@example.org' },
});
const token = 'a'.repeat(64);

function cpuSeconds(pid) {
  if (!pid) return 0;
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime (fields 14, 15); USER_HZ is 100 on Linux
}
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))] : 0; }
const median = (v) => pct([...v].sort((a, b) => a - b), 50);

async function runOnce() {
  const session = http2.connect(opts.url, { ca: fs.readFileSync(opts.ca) });
  session.on('error', () => {});
  await new Promise((resolve, reject) => { session.once('connect', resolve); session.once('error', reject); });
  const latencies = [];
  let next = 0;
  let failed = 0;
  let firstFailure = '';
  const one = () => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = session.request({
      ':method': 'POST', ':path': `/3/device/${token}`, authorization: `bearer ${jwt}`, 'apns-topic': opts.topic,
      'apns-push-type': 'alert', 'apns-priority': '10', 'apns-expiration': String(Math.floor(Date.now() / 1000) + 600),
      'content-type': 'application/json',
    });
    let status = 0;
    req.on('response', (h) => { status = h[':status']; });
    req.on('data', () => {});
    req.on('end', () => {
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (status !== 200 && failed++ === 0) firstFailure = String(status);
      resolve();
    });
    req.on('error', (e) => { if (failed++ === 0) firstFailure = e.message; resolve(); });
    req.end(body);
  });
  const worker = async () => { while (next < opts.count) { next++; await one(); } };
  const mock0 = cpuSeconds(opts.mockPid);
  const own0 = ownCpu();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(opts.window, opts.count) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mockCpu = opts.mockPid ? (cpuSeconds(opts.mockPid) - mock0) / seconds : -1;
  const senderCpu = (ownCpu() - own0) / seconds;
  session.close();
  latencies.sort((a, b) => a - b);
  return { rate: opts.count / seconds, seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), failed, firstFailure, mockCpu, senderCpu };
}

const results = [];
console.log(`push_mock_ceiling: ${opts.count} APNs alerts per run, window ${opts.window}, one Node http2 session, mock ${opts.url} (${os.cpus().length} cores)`);
for (let i = 0; i < opts.runs; i++) {
  const r = await runOnce();
  results.push(r);
  console.log(`run ${i + 1}: ${r.rate.toFixed(0)} notifications/s (${r.seconds.toFixed(2)} s), latency p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, ` +
    `${opts.count - r.failed} ok ${r.failed} failed${r.failed ? ` (first: ${r.firstFailure})` : ''}` +
    (r.mockCpu >= 0 ? `, CPU mock ${(100 * r.mockCpu).toFixed(0)}% sender ${(100 * r.senderCpu).toFixed(0)}%` : ''));
}
const m = (f) => median(results.map(f));
console.log(`push_mock_ceiling median of ${results.length}: ${m((r) => r.rate).toFixed(0)} notifications/s, latency p50 ${m((r) => r.p50).toFixed(2)} ms ` +
  `p99 ${m((r) => r.p99).toFixed(2)} ms` + (opts.mockPid ? `, CPU mock ${(100 * m((r) => r.mockCpu)).toFixed(0)}% sender ${(100 * m((r) => r.senderCpu)).toFixed(0)}%` : ''));
process.exit(results.some((r) => r.failed > 0) ? 1 : 0);
