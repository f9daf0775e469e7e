// Audio and video calls in the web client, in real Chromium (fake camera and microphone) against
// a real parleyd whose Edge relay carries the media: both sides use iceTransportPolicy 'relay',
// so nothing connects unless Parley's TURN relay works. Covers set-up and media flow (UDP, TCP and
// TLS to the relay), mute, video off/on, DTMF, hold/resume, hang-up by either side, ringing on
// every device and answering on one, decline, cancel, ring timeout (missed call in history),
// policy refusal and the video-on-Wi-Fi-only downgrade, and prints the call set-up median.
//
// node calls_test.mjs --parleyd BIN --parley BIN --client DIR --out DIR [--chromium PATH]
// Fails (does not skip) when chromium, playwright-core or the built client is missing.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { launchChromium, loadPlaywright, parseArgs, runSteps, signIn, startParleyd, tab, waitFor } from './lib.mjs';

const args = parseArgs('calls_test.mjs');
const chromium = loadPlaywright(args);
mkdirSync(args.out, { recursive: true });

// mediaRelayAccessToken advertises the configured public ports, so the relay gets fixed free
// ports rather than ephemeral ones.
async function freePort(type) {
  if (type === 'udp') {
    const sock = createSocket('udp4');
    await new Promise((r) => sock.bind(0, '127.0.0.1', r));
    const { port } = sock.address();
    await new Promise((r) => sock.close(r));
    return port;
  }
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
const [udpPort, tcpPort, tlsPort] = [await freePort('udp'), await freePort('tcp'), await freePort('tcp')];
const parley = startParleyd(
  args,
  `[edge]
udp = ["127.0.0.1:${udpPort}"]
tcp = ["127.0.0.1:${tcpPort}"]
tls = ["127.0.0.1:${tlsPort}"]
public_host = "127.0.0.1"
public_udp_port = ${udpPort}
public_tcp_port = ${tcpPort}
public_tls_port = ${tlsPort}
allowed_peers = ["127.0.0.0/8"]
[calls]
ring_timeout_seconds = 5
`,
);

let browser;
let base;
const contexts = [];

// A signed-in page. `network` overrides navigator.connection.type (what the client reports).
async function device(user, { network, transports = 'udp' } = {}) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
  contexts.push(context);
  if (network)
    await context.addInitScript((type) => {
      const fake = new EventTarget();
      Object.defineProperty(fake, 'type', { get: () => type });
      Object.defineProperty(Navigator.prototype, 'connection', { get: () => fake, configurable: true });
    }, network);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  [page error ${user}] ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && console.log(`  [console ${user}] ${m.text()}`));
  await page.goto(base + '/');
  await page.evaluate((t) => {
    localStorage.setItem('parley.iceTransportPolicy', 'relay');
    localStorage.setItem('parley.turnTransports', t);
  }, transports);
  await signIn(page, user);
  return page;
}

const transports = (pages, t) => Promise.all(pages.map((p) => p.evaluate((v) => localStorage.setItem('parley.turnTransports', v), t)));
const call = (page) => page.getByTestId('call');
const phase = async (page) => ((await call(page).count()) ? call(page).getAttribute('data-phase', { timeout: 2000 }).catch(() => 'none') : 'none');
const attr = (page, name) => call(page).getAttribute(name);
const stats = (page) => page.evaluate(() => window.parleyDebug.stats());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitPhase(page, want, timeout = 20000) {
  await waitFor(`call phase ${want}`, async () => (await phase(page)) === want, timeout);
}

async function noCall(page, what, timeout = 15000) {
  await waitFor(what, async () => (await call(page).count()) === 0, timeout);
}

// Bytes received per kind over `ms`, read from the peer connection's stats.
async function growth(page, ms = 3000) {
  const a = await stats(page);
  await sleep(ms);
  const b = await stats(page);
  return { audio: b.inbound.audio - a.inbound.audio, video: b.inbound.video - a.inbound.video };
}

async function startCall(from, to, peer, { video = true, accept = 'video' } = {}) {
  await tab(from, 'Contacts');
  await from.getByTestId(`call-${video ? 'video' : 'audio'}-${peer}`).click();
  await waitPhase(from, 'outgoing', 10000);
  for (const p of Array.isArray(to) ? to : [to]) await waitPhase(p, 'incoming', 15000);
  const answerer = Array.isArray(to) ? to[0] : to;
  if (accept) await answerer.getByTestId(accept === 'video' ? 'call-accept-video' : 'call-accept-audio').click();
}

async function connected(pages) {
  for (const p of pages) {
    await waitPhase(p, 'connected', 20000);
    await waitFor('media connected', async () => (await attr(p, 'data-media')) === 'connected', 20000);
  }
}

async function hangUp(page, other) {
  await page.getByTestId('call-hangup').click();
  for (const p of [page, other]) await noCall(p, 'the call screen to close', 15000);
}

// The selected pair is relay on both ends, over `proto` to the relay; media flows both ways.
async function assertRelayed(pages, proto, { video = true } = {}) {
  for (const p of pages) {
    const s = await stats(p);
    assert.equal(s.connectionState, 'connected');
    assert.equal(s.pair?.local?.type, 'relay', `local candidate ${JSON.stringify(s.pair)}`);
    assert.equal(s.pair?.remote?.type, 'relay', `remote candidate ${JSON.stringify(s.pair)}`);
    assert.equal(s.pair?.local?.relayProtocol, proto, `relay protocol ${JSON.stringify(s.pair)}`);
  }
  for (const p of pages) {
    const g = await growth(p, 3000);
    assert.ok(g.audio > 2000, `inbound audio grows: ${JSON.stringify(g)}`);
    if (video) assert.ok(g.video > 20000, `inbound video grows: ${JSON.stringify(g)}`);
  }
}

// ---- scenarios ------------------------------------------------------------------------------------
const steps = [];
const step = (name, fn) => steps.push({ name, fn });
let alice, bob, bob2;

step('Alice and Bob sign in (calls relayed only) and add each other', async () => {
  for (const u of ['alice', 'bob', 'dave']) parley.cli('user', 'add', `${u}@example.org`, '--name', `${u[0].toUpperCase()}${u.slice(1)} Example`, '--password-stdin');
  alice = await device('alice@example.org');
  bob = await device('bob@example.org');
  for (const [page, other, name] of [[alice, 'bob', 'Bob Example'], [bob, 'alice', 'Alice Example']]) {
    await page.getByLabel('Search people').fill(other);
    await page.getByRole('button', { name: `Add ${name} to contacts` }).click();
    await page.locator(`[data-contact="${other}@example.org"]`).waitFor();
    await page.getByLabel('Search people').fill('');
  }
});

step('Alice video-calls Bob over the relay (UDP): both connect through relay candidates, media flows', async () => {
  await startCall(alice, bob, 'bob@example.org');
  assert.match(await bob.getByTestId('call-peer').textContent(), /Alice Example/);
  await connected([alice, bob]);
  await assertRelayed([alice, bob], 'udp');
  for (const p of [alice, bob]) {
    assert.equal(await attr(p, 'data-video'), 'true');
    assert.equal(await attr(p, 'data-remote-video'), 'true');
  }
  const t1 = await alice.getByTestId('call-timer').textContent();
  await sleep(2100);
  const t2 = await alice.getByTestId('call-timer').textContent();
  assert.match(t1, /^\d+:\d\d$/);
  assert.notEqual(t1, t2, 'the call timer runs');
  await alice.screenshot({ path: join(args.out, 'in-call.png') });
  await bob.screenshot({ path: join(args.out, 'in-call-callee.png') });
});

step('mute silences Alice\'s microphone track and unmute restores it', async () => {
  await alice.getByTestId('call-mute').click();
  assert.equal(await attr(alice, 'data-muted'), 'true');
  let tracks = await alice.evaluate(() => window.parleyDebug.tracks());
  assert.ok(tracks.some((t) => t.kind === 'audio') && tracks.filter((t) => t.kind === 'audio').every((t) => !t.enabled), JSON.stringify(tracks));
  await alice.getByTestId('call-mute').click();
  tracks = await alice.evaluate(() => window.parleyDebug.tracks());
  assert.ok(tracks.filter((t) => t.kind === 'audio').every((t) => t.enabled), JSON.stringify(tracks));
});

step('video off stops video both ways (stopVideo), video on brings it back (addVideo)', async () => {
  await alice.getByTestId('call-video').click();
  await waitFor('Alice video off', async () => (await attr(alice, 'data-video')) === 'false');
  await waitFor('Bob sees no video', async () => (await attr(bob, 'data-remote-video')) === 'false');
  await sleep(500);
  let g = await growth(bob, 2000);
  assert.ok(g.video < 3000, `no video reaches Bob: ${JSON.stringify(g)}`);
  assert.ok(g.audio > 1000, `audio still flows: ${JSON.stringify(g)}`);
  await alice.getByTestId('call-video').click();
  await waitFor('Alice video on', async () => (await attr(alice, 'data-video')) === 'true');
  await waitFor('Bob sees video', async () => (await attr(bob, 'data-remote-video')) === 'true');
  await sleep(500);
  g = await growth(bob, 2000);
  assert.ok(g.video > 10000, `video reaches Bob again: ${JSON.stringify(g)}`);
});

step('the dial pad sends DTMF with RFC 4733 events', async () => {
  assert.match(await alice.evaluate(() => window.parleyDebug.remoteSdp()), /telephone-event/);
  await alice.getByTestId('call-keypad').click();
  for (const k of ['1', '2', '3', 'hash']) await alice.getByTestId(`dtmf-${k}`).click();
  assert.equal(await alice.getByTestId('dialled').textContent(), '123#');
  await waitFor('the tones played out', async () =>
    JSON.stringify(await alice.evaluate(() => window.parleyDebug.tones)) === JSON.stringify(['1', '2', '3', '#']), 10000);
  await alice.getByTestId('call-keypad').click();
});

step('hold: Alice holds, Bob sees "Held by Alice", only Alice sends; resume restores both ways', async () => {
  await alice.getByTestId('call-hold').click();
  await waitFor('Alice on hold', async () => (await attr(alice, 'data-held')) === 'true' && (await attr(alice, 'data-busy')) === 'false');
  assert.equal(await alice.getByTestId('call-state').textContent(), 'On hold');
  await waitFor('Bob held by Alice', async () => (await bob.getByTestId('call-state').textContent()) === 'Held by Alice Example');
  await sleep(500);
  const a = await growth(alice, 2000);
  assert.ok(a.audio < 500 && a.video < 2000, `Bob sends nothing while held: ${JSON.stringify(a)}`);
  await alice.getByTestId('call-hold').click();
  await waitFor('resumed', async () => (await attr(alice, 'data-held')) === 'false' && (await bob.getByTestId('call-state').textContent()) === 'In call');
  await sleep(500);
  const g = await growth(alice, 2000);
  assert.ok(g.audio > 1000 && g.video > 10000, `media flows again: ${JSON.stringify(g)}`);
});

step('Bob hangs up: both call screens close', async () => {
  await hangUp(bob, alice);
  assert.equal(await alice.evaluate(() => window.parleyDebug.lastEnd), 'Call ended.');
});

step('Bob audio-calls Alice, she answers, and Alice hangs up', async () => {
  await startCall(bob, alice, 'alice@example.org', { video: false, accept: 'audio' });
  await connected([alice, bob]);
  assert.equal(await attr(alice, 'data-remote-video'), 'false');
  const g = await growth(alice, 2000);
  assert.ok(g.audio > 1000 && g.video === 0, JSON.stringify(g));
  await hangUp(alice, bob);
  assert.equal(await bob.evaluate(() => window.parleyDebug.lastEnd), 'Call ended.');
});

for (const [t, proto] of [['tcp', 'tcp'], ['tls', 'tls']])
  step(`the same relayed call over the relay's ${t.toUpperCase()} listener`, async () => {
    await transports([alice, bob], t);
    await startCall(alice, bob, 'bob@example.org');
    await connected([alice, bob]);
    await assertRelayed([alice, bob], proto);
    await hangUp(alice, bob);
    await transports([alice, bob], 'udp');
  });

step('MPOP: Bob on two devices, both ring, he answers on one, the other stops ringing', async () => {
  bob2 = await device('bob@example.org');
  await startCall(alice, [bob2, bob], 'bob@example.org');
  await connected([alice, bob2]);
  await waitFor('the other device stops ringing', async () => (await phase(bob)) !== 'incoming', 10000);
  assert.equal(await bob.evaluate(() => window.parleyDebug.lastEnd), 'Answered on another device.', JSON.stringify(await bob.evaluate(() => window.parleyDebug.events)));
  await assertRelayed([alice, bob2], 'udp');
  await hangUp(alice, bob2);
});

step('Bob declines: Alice is told, his other device stops ringing', async () => {
  await startCall(alice, [bob, bob2], 'bob@example.org', { accept: null });
  await bob.getByTestId('call-decline').click();
  await waitFor('Alice told', async () => (await alice.evaluate(() => window.parleyDebug.lastEnd)) === 'The call was declined.');
  await noCall(bob2, 'the other device to stop ringing');
  await noCall(alice, 'Alice\'s call screen to close');
});

step('Alice cancels while it rings: Bob\'s devices stop ringing', async () => {
  await startCall(alice, [bob, bob2], 'bob@example.org', { accept: null });
  await alice.getByTestId('call-cancel').click();
  for (const p of [bob, bob2]) await waitFor('ringing ends', async () => (await phase(p)) !== 'incoming', 10000);
  assert.equal(await bob.evaluate(() => window.parleyDebug.lastEnd), 'Missed call');
  for (const p of [alice, bob, bob2]) await noCall(p, 'call screens to close');
});

step('nobody answers: the call times out and Bob has a missed call in his history', async () => {
  await tab(bob, 'History');
  const before = await bob.locator('[data-testid=history] [data-status=Missed]').count();
  await startCall(alice, [bob, bob2], 'bob@example.org', { video: false, accept: null });
  await waitFor('Alice hears nobody answered', async () => (await alice.evaluate(() => window.parleyDebug.lastEnd)) === 'No answer.', 15000);
  for (const p of [bob, bob2]) await waitFor('ringing ends', async () => (await phase(p)) !== 'incoming', 10000);
  await bob.getByTestId('missed-badge').waitFor({ timeout: 10000 });
  for (const p of [alice, bob, bob2]) await noCall(p, 'call screens to close');
  await tab(bob, 'Contacts');
  await tab(bob, 'History');
  const missed = bob.locator('[data-testid=history] [data-status=Missed]:is([data-type=AudioLog],[data-type=VideoLog])');
  await waitFor('the missed call listed', async () => (await missed.count()) > before);
  assert.match(await missed.first().textContent(), /Missed call/);
  // The answered calls are in the history too, with their duration.
  const answered = bob.locator('[data-testid=history] [data-type=VideoLog][data-status=Archived]');
  assert.ok((await answered.count()) >= 1, 'answered video calls are listed');
  assert.match(await answered.first().textContent(), /Video call, \d+:\d\d/);
  await tab(bob, 'Contacts');
});

step('call set-up time through the relay (UDP), median of 10 calls', async () => {
  const times = [];
  for (let i = 0; i < 10; i++) {
    await startCall(alice, [bob, bob2], 'bob@example.org');
    await connected([alice, bob]);
    const setup = await alice.evaluate(() => window.parleyDebug.setupMs.at(-1));
    assert.ok(Number.isFinite(setup) && setup > 0, `set-up time measured: ${setup}`);
    times.push(setup);
    await hangUp(alice, bob);
  }
  times.sort((a, b) => a - b);
  const median = Math.round((times[4] + times[5]) / 2);
  console.log(`call setup median: ${median} ms over 10 calls (relay, udp)  [all: ${times.join(' ')}]`);
  assert.ok(median < 5000, `median set-up ${median} ms`);
});

step('a policy without IP audio/video refuses the call with its message', async () => {
  parley.cli('policy', 'new', 'mobility', 'novoip', '--enable-ip-audio-video', 'false');
  parley.cli('policy', 'grant', 'mobility', 'novoip', '--user', 'dave@example.org');
  const dave = await device('dave@example.org');
  await dave.getByLabel('Search people').fill('bob');
  await dave.getByRole('button', { name: 'Add Bob Example to contacts' }).click();
  await dave.getByTestId('call-audio-bob@example.org').click();
  await waitFor('the refusal shown', async () => /policy/i.test(await dave.getByTestId('call-state').textContent()), 10000);
  assert.equal(await phase(dave), 'ended');
  assert.equal(await phase(bob), 'none', 'Bob never rang');
});

step('video only on Wi-Fi: Alice on cellular calls with video, the call goes on as audio with the message', async () => {
  parley.cli('policy', 'new', 'mobility', 'wifivideo', '--require-wifi-for-ip-video', 'true');
  parley.cli('policy', 'grant', 'mobility', 'wifivideo', '--user', 'alice@example.org');
  const cell = await device('alice@example.org', { network: 'cellular' });
  await startCall(cell, [bob, bob2], 'bob@example.org', { accept: null });
  await waitFor('the restriction message', async () =>
    /video only on Wi-Fi/.test(await cell.getByTestId('call-restriction').textContent()), 10000);
  // Bob is offered audio only.
  assert.match(await bob.getByTestId('call-state').textContent(), /^Incoming call$/);
  assert.equal(await bob.getByTestId('call-accept-video').count(), 0);
  await bob.getByTestId('call-accept-audio').click();
  await connected([cell, bob]);
  assert.equal(await attr(cell, 'data-video'), 'false');
  assert.equal(await attr(bob, 'data-remote-video'), 'false');
  const g = await growth(bob, 2000);
  assert.ok(g.audio > 1000 && g.video === 0, JSON.stringify(g));
  assert.match(await cell.getByTestId('call-restriction').textContent(), /Your policy allows video only on Wi-Fi; the call continues with audio\./);
  await cell.screenshot({ path: join(args.out, 'call-restricted.png') });
  await hangUp(cell, bob);
});

// ---- run --------------------------------------------------------------------------------------------
let failed = false;
try {
  const endpoints = await parley.endpoints();
  base = endpoints.external.https.replace('127.0.0.1', 'localhost');
  browser = await launchChromium(chromium, args, parley.spki(), [
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
  ]);
  failed = await runSteps(steps, { out: args.out, contexts });
} catch (e) {
  failed = true;
  console.log(`FAIL setup: ${e.stack ?? e}`);
} finally {
  try {
    await browser?.close();
  } catch {}
  parley.stop();
  if (failed) console.log(`parleyd log: ${parley.logFile}`);
  else rmSync(parley.dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
