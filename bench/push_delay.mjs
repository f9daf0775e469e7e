// Push delay (bench/push.sh): from the event that wakes a phone to the APNs request that wakes it.
// Against a running parleyd whose [push.apns] points at the provider mock (tests/push/push_mock.mjs):
// Bob's Phone application registers an APNs token (POST {app}/pushNotificationRegistration) and
// makes itself available, but never opens its event channel, as a phone app in the background;
// Alice invites him, Bob accepts (no P-GET), and Alice sends M messages, one every GAP ms. The
// delay of message i is the mock's record of the i-th "message" push (`at`) minus the moment
// Alice's POST i was sent; both clocks are this machine's wall clock (milliseconds).
//
// Usage: node push_delay.mjs --data-dir DIR --mock URL --mock-ca FILE [--messages M] [--gap-ms G]
//        [--password P] [--wait-ms W] [--grace-ms G (parleyd's [push] grace_ms, 2000)]
// Prints one line: "push_delay M=...: p50 ... ms p99 ... ms max ... ms, N/M arrived ...".
// Exits non-zero when a step of the scenario fails or no push arrived.

import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const opts = { dataDir: '', mock: '', mockCa: '', messages: 300, gapMs: 20, password: 'bench-password-1', waitMs: 10000, graceMs: 2000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
  if (!(name in opts)) { process.stderr.write(`push_delay: unknown option ${process.argv[i]}\n`); process.exit(2); }
  opts[name] = typeof opts[name] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
if (!opts.dataDir || !opts.mock || !opts.mockCa) {
  process.stderr.write('usage: push_delay.mjs --data-dir DIR --mock URL --mock-ca FILE [--messages M] [--gap-ms G]\n');
  process.exit(2);
}

const fail = (why) => { process.stderr.write(`push_delay: ${why}\n`); process.exit(1); };

const endpoints = JSON.parse(fs.readFileSync(`${opts.dataDir}/parleyd.endpoints.json`, 'utf8'));
const base = new URL(endpoints.external.https);
const parleyAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: fs.readFileSync(`${opts.dataDir}/pki/ca.pem`) });
const mockUrl = new URL(opts.mock);
const mockAgent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: fs.readFileSync(opts.mockCa) });

// One HTTP/1.1 request; resolves {status, headers, body, json}.
function request(url, agent, method, path, { token, body, type = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) { headers['content-type'] = type; headers['content-length'] = Buffer.byteLength(body); }
    const req = https.request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}
const parley = (method, path, o) => request(base, parleyAgent, method, path, o);
const mock = (method, path) => request(mockUrl, mockAgent, method, path);
const pathOf = (href) => (href.startsWith('http') ? new URL(href).pathname + new URL(href).search : href);
const link = (o, rel) => (o && o._links && o._links[rel] ? pathOf(o._links[rel].href) : '');
const expect = (r, ok, what) => { if (!ok.includes(r.status)) fail(`${what}: ${r.status} ${r.body.slice(0, 300)}`); return r; };

async function signIn(user) {
  const form = `grant_type=password&username=${encodeURIComponent(user)}&password=${encodeURIComponent(opts.password)}`;
  const r = expect(await parley('POST', '/WebTicket/oauthtoken', { body: form, type: 'application/x-www-form-urlencoded' }), [200], `sign-in of ${user}`);
  return r.json.access_token;
}

async function application(token, endpointId, type, agent) {
  const body = JSON.stringify({ culture: 'en-US', endpointId, userAgent: agent, type });
  const r = expect(await parley('POST', '/ucwa/oauth/v1/applications', { token, body }), [200, 201], `application ${endpointId}`);
  return { token, self: link(r.json, 'self') };
}

const available = JSON.stringify({ SupportedModalities: ['Messaging'], SupportedMessageFormats: ['Plain'] });

const alice = await application(await signIn('alice@example.org'), 'alice-laptop', 'Browser', 'Mozilla/5.0 Chrome/120');
const bobCreated = Date.now();
const bob = await application(await signIn('bob@example.org'), 'bob-phone', 'Phone', 'Parley/1.0 (iPhone)');
const deviceToken = crypto.randomBytes(32).toString('hex');
expect(await parley('POST', `${bob.self}/pushNotificationRegistration`, {
  token: bob.token,
  body: JSON.stringify({ provider: 'apns', token: deviceToken, appId: 'org.example.parley', environment: 'production', deviceName: "Bob's iPhone" }),
}), [200, 201], 'Bob\'s APNs registration');
expect(await parley('POST', `${bob.self}/me/makeMeAvailable`, { token: bob.token, body: available }), [200, 204], 'Bob makeMeAvailable');
expect(await parley('POST', `${alice.self}/me/makeMeAvailable`, { token: alice.token, body: available }), [200, 204], 'Alice makeMeAvailable');

// The invitation's id is the same on both sides; Bob answers it without reading his events.
const inv = expect(await parley('POST', `${alice.self}/communication/messagingInvitations`, {
  token: alice.token,
  body: JSON.stringify({ to: 'sip:bob@example.org', subject: 'push bench', importance: 'Normal', operationId: 'push-bench' }),
}), [201], 'Alice\'s messaging invitation');
const invPath = pathOf(inv.headers.location || link(inv.json, 'self'));
const invId = invPath.slice(invPath.lastIndexOf('/') + 1);
expect(await parley('POST', `${bob.self}/communication/messagingInvitations/${invId}/accept`, { token: bob.token, body: '' }),
  [200, 204], 'Bob\'s accept');

// Alice's sendMessage link, once her side of the conversation is connected (the invitation is
// gone once answered; her conversation list has the conversation).
const convs = expect(await parley('GET', `${alice.self}/communication/conversations`, { token: alice.token }), [200],
  'Alice\'s conversations');
const conv = ((convs.json._embedded || {}).conversation || [])[0];
const messagingPath = conv ? link(conv, 'messaging') || `${link(conv, 'self')}/messaging` : '';
if (!messagingPath) fail(`Alice has no conversation: ${convs.body.slice(0, 300)}`);
let sendPath = '';
for (let i = 0; i < 100 && !sendPath; i++) {
  const m = expect(await parley('GET', messagingPath, { token: alice.token }), [200], 'Alice\'s messaging');
  sendPath = link(m.json, 'sendMessage');
  if (!sendPath) await sleep(20);
}
if (!sendPath) fail('Alice\'s messaging never offered sendMessage (was the invitation accepted?)');

// A new application's event channel counts as just polled, so pushes to it wait out the grace
// period ([push] grace_ms) from its creation. A phone in the background has been quiet for longer:
// wait that out, so that what is measured is the path of a push that goes at once. The
// invitation's push goes then too; only the messages' pushes are measured, so it is cleared away.
await sleep(Math.max(0, bobCreated + opts.graceMs + 500 - Date.now()));
expect(await mock('POST', '/control/reset'), [200], 'mock reset');

const sent = [];
let sendErrors = 0;
let firstSendError = '';
const posts = [];
const acks = [];
const t0 = Date.now();
for (let i = 0; i < opts.messages; i++) {
  const due = t0 + i * opts.gapMs;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait);
  sent.push(Date.now());
  posts.push(parley('POST', `${sendPath}?operationId=push-bench-${i}`, { token: alice.token, body: `push bench ${i}`, type: 'text/plain' })
    .then((r) => {
      acks.push(Date.now() - sent[i]);
      if (r.status !== 201 && r.status !== 204 && r.status !== 200 && sendErrors++ === 0) firstSendError = `${r.status} ${r.body.slice(0, 200)}`;
    }, (e) => { if (sendErrors++ === 0) firstSendError = e.message; }));
}
await Promise.all(posts);

const isMessagePush = (e) => {
  if (e.provider !== 'apns' || !e.body) return false;
  try { return JSON.parse(e.body).parley.kind === 'message'; } catch { return false; }
};
let pushes = [];
const deadline = Date.now() + opts.waitMs;
for (;;) {
  const r = expect(await mock('GET', '/control/received'), [200], 'mock received');
  pushes = r.json.filter(isMessagePush);
  if (pushes.length >= opts.messages || Date.now() > deadline) break;
  await sleep(100);
}
const statuses = {};
for (const p of pushes) statuses[p.status] = (statuses[p.status] || 0) + 1;
const connections = new Set(pushes.map((p) => p.connection)).size;
const inOrder = pushes.slice(0, opts.messages).map((p, i) => p.at - sent[i]);
if (process.env.PUSH_DELAY_TRACE) console.error(`delays in order: ${inOrder.join(' ')}`);
const delays = [...inOrder].sort((a, b) => a - b);
acks.sort((a, b) => a - b);
const pct = (p) => (delays.length ? delays[Math.min(delays.length - 1, Math.round((p / 100) * (delays.length - 1)))] : NaN);
console.log(`push_delay M=${opts.messages} every ${opts.gapMs} ms: p50 ${pct(50)} ms p99 ${pct(99)} ms max ${pct(100)} ms, ` +
  `${pushes.length}/${opts.messages} arrived, provider statuses ${JSON.stringify(statuses)}, ` +
  `${connections} provider connection(s), ${sendErrors} send errors${firstSendError ? ` (first: ${firstSendError})` : ''}; Alice's POST answered p50 ` +
  `${acks[Math.round(0.5 * (acks.length - 1))]} ms p99 ${acks[Math.round(0.99 * (acks.length - 1))]} ms`);
parleyAgent.destroy();
mockAgent.destroy();
process.exit(pushes.length === 0 || sendErrors > 0 ? 1 : 0);
