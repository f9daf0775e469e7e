// Web Push in the web client, in real Chromium against a real parleyd and the local push service
// mock (tests/push/push_mock.mjs). Chromium cannot reach a real push service from here, so the
// test makes Bob's subscription itself (its own P-256 key pair and auth secret, endpoint = the
// mock) and registers it through the app's own registration code (window.parleyDebug.push).
// Bob's app then goes "to the background" (window.parleyDebug.pauseEvents(): no P-GET any more),
// Alice writes to him, Parley pushes through the mock (which checks VAPID and decrypts), and the
// decrypted payload is handed to Bob's service worker with the DevTools protocol
// (ServiceWorker.deliverPushMessage). The notification is read back with
// registration.getNotifications(). In production the app subscribes with pushManager.subscribe()
// and the server's VAPID key instead.
//
// node push_test.mjs --parleyd BIN --parley BIN --client DIR --out DIR [--chromium PATH]
// Fails (does not skip) when chromium, playwright-core, openssl or the built client is missing.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { fail, launchChromium, loadPlaywright, parseArgs, runSteps, signIn, startParleyd, tab, waitFor } from './lib.mjs';

const args = parseArgs('push_test.mjs');
const chromium = loadPlaywright(args);
mkdirSync(args.out, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const SECRET = 'the lunch plan is tuna at noon';
const TOGGLE = 'Notifications when Parley is in the background';

// ---- keys, made at run time: nothing private is committed ------------------------------------------
const keys = mkdtempSync(join(tmpdir(), 'parley-push-web-'));
{
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(keys, 'mock-key.pem'), '-out', join(keys, 'mock-cert.pem'),
  ], { encoding: 'utf8' });
  if (r.status !== 0) fail(`openssl could not make the mock's certificate: ${r.error?.message ?? r.stderr}`);
}
// Bob's browser subscription: what pushManager.subscribe() would have made inside Chromium.
const subKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
writeFileSync(join(keys, 'bob-sub.pem'), subKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const jwk = subKey.publicKey.export({ format: 'jwk' });
const p256dh = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]).toString('base64url');
const auth = randomBytes(16).toString('base64url');
writeFileSync(
  join(keys, 'mock.json'),
  JSON.stringify({
    key: join(keys, 'mock-key.pem'),
    cert: join(keys, 'mock-cert.pem'),
    webpush: { subscriptions: { bobweb: { privateKeyPem: join(keys, 'bob-sub.pem'), auth } } },
  }),
);

// ---- the push service mock ----------------------------------------------------------------------
const mock = spawn(process.execPath, [join(here, '..', 'push', 'push_mock.mjs'), join(keys, 'mock.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
let mockLog = '';
mock.stderr.on('data', (d) => (mockLog += d));
const mockPort = await new Promise((resolve, reject) => {
  let out = '';
  mock.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.includes('"port"'));
    if (line) resolve(JSON.parse(line).port);
  });
  mock.on('exit', (code) => reject(new Error(`push mock exited (${code}): ${mockLog}`)));
  setTimeout(() => reject(new Error('push mock did not start')), 10000);
}).catch((e) => fail(e.message));
const mockBase = `https://127.0.0.1:${mockPort}`;

async function mockReceived() {
  // The mock's certificate is this run's own; trust it for this one request.
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${mockBase}/control/received`, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

// ---- parleyd --------------------------------------------------------------------------------------
const parley = startParleyd(
  args,
  `[edge]
udp = ["127.0.0.1:0"]
tcp = ["127.0.0.1:0"]
tls = ["127.0.0.1:0"]
[push]
grace_ms = 300
[push.webpush]
ca_file = "${join(keys, 'mock-cert.pem')}"
allow_private_endpoints = true
`,
);

let browser;
let base;
const contexts = [];
let alice;
let bob;
let bobContext;
let pushed; // the decrypted payload Parley sent, as the mock read it
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Bob's browser is a normal profile: Chromium has no Push API in incognito contexts (which is
// what browser.newContext() makes), and the service worker would not get the push there.
async function device(user, { persistent = false } = {}) {
  const options = { viewport: { width: 390, height: 844 }, hasTouch: true };
  const context = persistent
    ? await chromium.launchPersistentContext(join(keys, 'bob-profile'), {
      ...options,
      executablePath: args.chromium,
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${parley.spki()}`,
      ],
    })
    : await browser.newContext(options);
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.log(`  [page error ${user}] ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && console.log(`  [console ${user}] ${m.text()}`));
  await page.goto(base + '/');
  await signIn(page, user);
  return { context, page };
}

// The app's own session: its token and its application's registration link.
const registration = (page) =>
  page.evaluate(async () => {
    const href = window.parleyDebug.push.link;
    const { token } = JSON.parse(sessionStorage.getItem('parley.signedIn'));
    const r = await fetch(href, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, cache: 'no-store' });
    return { status: r.status, body: await r.json().catch(() => null), href };
  });

const notifications = (page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });

// Hands `payload` to Bob's service worker as if the push service had delivered it. One DevTools
// session for the whole run: detaching right after deliverPushMessage can drop the push.
let cdp;
let swRegistration;
async function watchWorker(page) {
  const origin = new URL(base).origin;
  cdp = await page.context().newCDPSession(page);
  const regs = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  swRegistration = await waitFor('the service worker registration over CDP', async () =>
    regs.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin)), 10000);
}

async function deliver(page, payload) {
  if (!cdp) await watchWorker(page);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(base).origin, registrationId: swRegistration.registrationId, data: payload });
}

// Delivers until `shown` finds the notification. Chromium now and then drops a push handed over
// by DevTools (the worker never sees it); a second delivery of the same payload is harmless, the
// tag replaces. A worker that never shows it still fails.
async function deliverUntil(page, payload, what, shown) {
  for (let attempt = 1; ; attempt++) {
    await deliver(page, payload);
    try {
      return await waitFor(what, shown, 3000);
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`     (no ${what} after delivery ${attempt}: delivering again)`);
    }
  }
}

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

step('set up: users, Web Push switched on, Alice and Bob signed in', async () => {
  for (const u of ['alice', 'bob']) parley.cli('user', 'add', `${u}@example.org`, '--name', `${u[0].toUpperCase()}${u.slice(1)} Example`, '--password-stdin');
  parley.cli('config', 'set', 'push', '--enable-web-push', 'true');
  ({ page: alice } = await device('alice@example.org'));
  ({ page: bob, context: bobContext } = await device('bob@example.org', { persistent: true }));
  await bob.evaluate(() => navigator.serviceWorker.ready);
  await watchWorker(bob);
  for (const [page, other, name] of [[alice, 'bob', 'Bob Example'], [bob, 'alice', 'Alice Example']]) {
    await page.getByLabel('Search people').fill(other);
    await page.getByRole('button', { name: `Add ${name} to contacts` }).click();
    await page.locator(`[data-contact="${other}@example.org"]`).waitFor();
    await page.getByLabel('Search people').fill('');
  }
  await bob.waitForFunction(() => navigator.serviceWorker?.controller, null, { timeout: 15000 }).catch(async () => {
    await bob.evaluate(() => navigator.serviceWorker.ready);
  });
});

step('the registration resource offers webpush and the VAPID public key', async () => {
  const r = await registration(bob);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.ok(r.body.providers.includes('webpush'), JSON.stringify(r.body));
  const key = Buffer.from(r.body.vapidPublicKey, 'base64url');
  assert.equal(key.length, 65, `vapidPublicKey is an uncompressed P-256 point: ${r.body.vapidPublicKey}`);
  assert.equal(key[0], 4);
});

step('Settings has the background-notifications switch', async () => {
  await tab(bob, 'Settings');
  const toggle = bob.getByLabel(TOGGLE);
  await toggle.waitFor();
  assert.equal(await toggle.getAttribute('type'), 'checkbox');
  // The server offers Web Push and the browser can: the switch is usable (not greyed out).
  await waitFor('the switch to be usable', async () => !(await toggle.isDisabled()), 15000);
  assert.equal(await toggle.isChecked(), false, 'off until the user allows notifications');
});

step("Bob's subscription registers through the app, and registering again replaces it", async () => {
  const subscription = { endpoint: `${mockBase}/wp/bobweb`, keys: { p256dh, auth } };
  for (let i = 0; i < 2; i++) await bob.evaluate((s) => window.parleyDebug.push.registerWith(s), subscription);
  const r = await registration(bob);
  assert.equal(r.body.registered, true, JSON.stringify(r.body));
  assert.equal(r.body.provider, 'webpush');
  assert.ok(!JSON.stringify(r.body).includes(auth), 'the auth secret is never shown back');
  await waitFor('the switch to show on', () => bob.getByLabel(TOGGLE).isChecked(), 5000);
  const status = parley.cli('--json', 'push', 'status', 'bob@example.org');
  const devices = JSON.parse(status);
  const list = Array.isArray(devices) ? devices : devices.devices ?? devices.registrations ?? [];
  assert.equal(list.length, 1, `one device after two registrations: ${status}`);
});

step('Bob in the background: Alice writes, Parley pushes through the mock without the text', async () => {
  await bob.evaluate(() => window.parleyDebug.pauseEvents());
  // Parleyd does not notice a P-GET whose client went away (it does not read the connection while
  // the request is held), so Bob's abandoned P-GET still counts as listening and would swallow
  // the next event without a push. A presence change releases it (low urgency: answered at once
  // into the closed connection); from then on Bob has no P-GET.
  await tab(alice, 'Status');
  await alice.getByLabel('Note (what others see)').fill('Back at two');
  await alice.getByRole('button', { name: 'Save note' }).click();
  await sleep(1000); // well over grace_ms after that last P-GET ended
  await mockReceived().then((got) => assert.equal(got.length, 0, `a note change is not worth a push: ${JSON.stringify(got)}`));
  await tab(alice, 'Contacts');
  await alice.locator('[data-contact="bob@example.org"]').click();
  const box = alice.getByLabel('Message to Bob Example');
  await box.fill(SECRET);
  await box.press('Enter');
  const entry = await waitFor('the mock to receive a Web Push for Bob', async () => {
    const got = (await mockReceived()).filter((e) => e.provider === 'webpush');
    return got.find((e) => e.status === 201 && e.body && JSON.parse(e.body).kind !== 'missedItems') ?? (got.find((e) => e.status !== 201) && { failed: got });
  }, 20000);
  assert.ok(!entry.failed, `the mock refused Parley's push: ${JSON.stringify(entry.failed)}`);
  assert.equal(entry.path, '/wp/bobweb');
  assert.equal(entry.headers['content-encoding'], 'aes128gcm');
  pushed = entry.body;
  console.log(`     pushed: ${pushed} (urgency ${entry.headers.urgency}, topic ${entry.headers.topic})`);
  const data = JSON.parse(pushed);
  assert.ok(['invitation', 'message'].includes(data.kind), pushed);
  assert.equal(data.from, 'sip:alice@example.org', pushed);
  assert.ok(data.conversation && data.tag, `a conversation id and a tag: ${pushed}`);
  assert.ok(data.title, pushed);
  assert.ok(!pushed.includes('tuna'), `no message text without previews: ${pushed}`);
});

step("Bob's service worker shows the pushed notification, without the message text", async () => {
  assert.ok(pushed, 'no push to deliver');
  // Granted only now: at sign-in the app would otherwise try pushManager.subscribe() itself,
  // which cannot reach a push service from here.
  await bobContext.grantPermissions(['notifications'], { origin: base });
  await waitFor('the service worker to see the permission', async () => {
    const worker = bobContext.serviceWorkers()[0];
    return worker && (await worker.evaluate(() => Notification.permission)) === 'granted';
  }, 10000);
  const data = JSON.parse(pushed);
  const shown = await deliverUntil(bob, pushed, 'notification', async () => (await notifications(bob)).find((n) => n.tag === data.tag));
  assert.equal(shown.title, data.title);
  assert.equal(shown.body, data.body ?? '');
  assert.equal(shown.data.conversation, data.conversation);
  assert.equal(shown.data.kind, data.kind);
  assert.ok(!JSON.stringify(shown).includes('tuna'), JSON.stringify(shown));
});

step('a later push with the same tag replaces the notification; missed items only set the badge', async () => {
  const data = JSON.parse(pushed);
  await deliverUntil(bob, JSON.stringify({ ...data, kind: 'missedCall', title: 'Missed call', body: 'You missed a call from Alice' }), 'replacement', async () => {
    const all = (await notifications(bob)).filter((n) => n.tag === data.tag);
    return all.length === 1 && all[0].title === 'Missed call';
  });
  const before = (await notifications(bob)).length;
  await deliver(bob, JSON.stringify({ kind: 'missedItems', badge: 2, tag: 'missed-items' }));
  await sleep(1000);
  const after = await notifications(bob);
  assert.ok(!after.some((n) => n.tag === 'missed-items' || n.data?.kind === 'missedItems'), JSON.stringify(after));
  assert.ok(after.length <= before + 1, JSON.stringify(after)); // at most the browser's own "updated in the background"
});

step('tapping a notification routes an open window to the chat or to the history', async () => {
  const data = JSON.parse(pushed);
  const worker = await waitFor('the service worker in Playwright', async () => bobContext.serviceWorkers()[0], 10000);
  await worker.evaluate((d) => showApp(routeFor(d)), { kind: 'invitation', conversation: data.conversation });
  await waitFor('the chat route', async () => (await bob.evaluate(() => location.hash)) === `#/chat/${encodeURIComponent(data.conversation)}`, 5000);
  await worker.evaluate(() => showApp(routeFor({ kind: 'missedCall', conversation: 'x' })));
  await waitFor('the history route', async () => (await bob.evaluate(() => location.hash)) === '#/history', 5000);
});

step('signing out unregisters the device', async () => {
  await tab(bob, 'Settings');
  await bob.getByRole('button', { name: 'Sign out' }).click();
  await bob.getByRole('button', { name: 'Sign in' }).waitFor();
  const status = JSON.parse(parley.cli('--json', 'push', 'status', 'bob@example.org'));
  const list = Array.isArray(status) ? status : status.devices ?? status.registrations ?? [];
  assert.equal(list.length, 0, JSON.stringify(status));
});

// ---- run --------------------------------------------------------------------------------------------
let failed = true;
try {
  const endpoints = await parley.endpoints();
  base = endpoints.external.https.replace('127.0.0.1', 'localhost');
  browser = await launchChromium(chromium, args, parley.spki());
  failed = await runSteps(steps, {
    out: args.out,
    contexts,
    onFailure: async () => {
      console.log(`  push mock received: ${JSON.stringify(await mockReceived().catch((e) => e.message))}`);
      if (parley.server.exitCode !== null || parley.server.signalCode)
        console.log(`  parleyd is gone: exit code ${parley.server.exitCode}, signal ${parley.server.signalCode}`);
      try {
        console.log(`  parley push status bob: ${parley.cli('--json', 'push', 'status', 'bob@example.org')}`);
      } catch (e) {
        console.log(`  parley push status bob: ${e.message}`);
      }
    },
  });
} catch (e) {
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  await cdp?.detach().catch(() => {});
  await bobContext?.close().catch(() => {});
  await browser?.close().catch(() => {});
  parley.stop();
  mock.kill('SIGTERM');
  rmSync(keys, { recursive: true, force: true }); // the run's private keys and Bob's profile
  if (failed) console.log(`parleyd log: ${parley.logFile}\n${parley.log.split('\n').slice(-40).join('\n')}`);
}
process.exit(failed ? 1 : 0);
