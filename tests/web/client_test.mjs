// The web client in a real browser (Debian's chromium through playwright-core) against a real
// parleyd: sign-in and its failures, presence both ways, chat with typing, catching up after the
// network drops, history and read state on another device, sign-out.
//
// node client_test.mjs --parleyd BIN --parley BIN --client DIR --out DIR [--chromium PATH]
// Fails (does not skip) when chromium, playwright-core or the built client is missing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { PASSWORD, fail, launchChromium, loadPlaywright, parseArgs, runSteps, signIn, startParleyd, tab, waitFor } from './lib.mjs';

// ---- preconditions: all of them are failures, never skips --------------------------------------
const args = parseArgs('client_test.mjs');
const chromium = loadPlaywright(args);

// The shell budget is part of this test.
{
  const r = spawnSync(process.execPath, [join(args.client, 'scripts', 'shell-size.mjs'), args.dist], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) fail(`app shell size check failed: ${r.stderr}`);
}

// ---- parleyd ------------------------------------------------------------------------------------
const parleyd = startParleyd(
  args,
  `[webticket.throttle]
account_failures = 2
address_failures = 1000
base_delay_seconds = 120
# The relay on loopback ephemeral ports, so that this test runs beside the others.
[edge]
udp = ["127.0.0.1:0"]
tcp = ["127.0.0.1:0"]
tls = ["127.0.0.1:0"]
`,
);
const { dataDir } = parleyd;
const cli = (...argv) => parleyd.cli(...argv);
let browser;
async function cleanup() {
  try {
    await browser?.close();
  } catch {}
  parleyd.stop();
}

// ---- helpers ------------------------------------------------------------------------------------
let base;
const contexts = [];

async function newPage(viewport = { width: 390, height: 844 }) {
  const context = await browser.newContext({ viewport, hasTouch: viewport.width < 500 });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  // Failed requests are expected (401 challenges, refused sign-ins); script errors are not.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && console.log(`  [console] ${m.text()}`));
  await page.goto(base + '/');
  return page;
}

async function submitSignIn(page, user, password = PASSWORD) {
  await page.getByLabel('Sign-in address').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signInError(page) {
  const el = page.getByTestId('signin-error');
  await page.waitForFunction(() => document.querySelector('[data-testid=signin-error]')?.textContent?.trim(), null, { timeout: 20000 });
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  return (await el.textContent()).trim();
}

async function availabilityOf(page, key) {
  return page.locator(`[data-contact="${key}"] .dot`).getAttribute('data-availability');
}

// A GET from Node, trusting the run's development CA only.
function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(base + path, { headers, ca: readFileSync(join(dataDir, 'pki', 'ca.pem')) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const bubbles = (page) => page.locator('[data-testid=messages] .bubble').allTextContents();

// ---- the scenarios --------------------------------------------------------------------------------
const steps = [];
const step = (name, fn) => steps.push({ name, fn });
let alice, bob, alice2;

step('the shell is served at / to browsers, discovery to UCWA clients', async () => {
  const html = await get('/', { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
  assert.equal(html.status, 200);
  assert.match(html.headers['content-type'], /text\/html/);
  assert.match(html.headers['content-security-policy'], /default-src 'self'/);
  assert.match(html.body, /<div id="app">/);
  const json = await get('/', { Accept: 'application/json' });
  assert.match(json.body, /"user"/);
  const traversal = await get('/assets/..%2F..%2Fpackage.json');
  assert.notEqual(traversal.status, 200);
});

step('sign-in failures are told apart', async () => {
  cli('user', 'add', 'alice@example.org', '--name', 'Alice Example', '--password-stdin');
  cli('user', 'add', 'bob@example.org', '--name', 'Bob Example', '--password-stdin');
  cli('user', 'add', 'dave@example.org', '--name', 'Dave Example', '--password-stdin');
  cli('user', 'add', 'erin@example.org', '--name', 'Erin Example', '--password-stdin');
  cli('user', 'disable', 'erin@example.org');
  const page = await newPage({ width: 360, height: 740 });
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  await submitSignIn(page, 'alice@example.org', 'not her password');
  assert.match(await signInError(page), /password is wrong/);
  await submitSignIn(page, 'zoe@nowhere.invalid');
  assert.match(await signInError(page), /No Parley server was found for nowhere\.invalid/);
  await submitSignIn(page, 'erin@example.org');
  assert.match(await signInError(page), /This account is disabled/);
  await submitSignIn(page, 'dave@example.org', 'wrong 1');
  assert.match(await signInError(page), /password is wrong/);
  await submitSignIn(page, 'dave@example.org', 'wrong 2');
  await signInError(page);
  await submitSignIn(page, 'dave@example.org'); // even the right password waits now
  assert.match(await signInError(page), /Too many failed attempts\. Try again in \d+/);
  await page.context().close();
});

step('Alice and Bob sign in, find each other and add each other as contacts', async () => {
  alice = await newPage();
  bob = await newPage();
  await signIn(alice, 'alice@example.org');
  await signIn(bob, 'bob@example.org');
  for (const [page, other, name] of [[alice, 'bob', 'Bob Example'], [bob, 'alice', 'Alice Example']]) {
    await page.getByLabel('Search people').fill(other);
    await page.getByRole('button', { name: `Add ${name} to contacts` }).click();
    await page.locator(`[data-contact="${other}@example.org"]`).waitFor();
    await page.getByLabel('Search people').fill('');
  }
  await waitFor('Bob online for Alice', async () => (await availabilityOf(alice, 'bob@example.org')) === 'Online');
});

step("each sees the other's presence and note change", async () => {
  await tab(bob, 'Status');
  await bob.getByLabel('Presence').selectOption('Busy');
  await waitFor('Bob busy for Alice', async () => (await availabilityOf(alice, 'bob@example.org')) === 'Busy');
  await tab(alice, 'Status');
  await alice.getByLabel('Presence').selectOption('BeRightBack');
  await alice.getByLabel('Note (what others see)').fill('On a train to Lisbon');
  await alice.getByRole('button', { name: 'Save note' }).click();
  await tab(bob, 'Contacts');
  await waitFor('Alice BRB with her note for Bob', async () =>
    (await availabilityOf(bob, 'alice@example.org')) === 'BeRightBack' &&
    /On a train to Lisbon/.test(await bob.locator('[data-contact="alice@example.org"]').textContent()));
  await bob.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
  await bob.getByLabel('Presence').selectOption('Online');
  await alice.getByLabel('Presence').selectOption('Online');
  await tab(alice, 'Contacts');
  await tab(bob, 'Contacts');
  await waitFor('Bob online again', async () => (await availabilityOf(alice, 'bob@example.org')) === 'Online');
});

step('they chat both ways, with the typing indicator and safe formatting', async () => {
  await alice.locator('[data-contact="bob@example.org"]').click();
  const aliceBox = alice.getByLabel('Message to Bob Example');
  await aliceBox.fill('Hello *Bob*, lunch at https://example.org/menu ? <img src=x onerror=alert(1)>');
  await aliceBox.press('Enter');
  // Bob is told there is something new, and opens it.
  await bob.getByTestId('badge').first().waitFor();
  await tab(bob, 'Chats');
  await bob.locator('[data-peer="alice@example.org"]').click();
  await waitFor('Alice\'s message at Bob', async () => (await bubbles(bob)).some((t) => t.startsWith('Hello Bob, lunch')));
  assert.equal(await bob.locator('[data-testid=messages] strong').first().textContent(), 'Bob');
  assert.equal(await bob.locator('[data-testid=messages] img').count(), 0, 'markup in plain text stays text');
  assert.equal(await bob.locator('[data-testid=messages] a[href="https://example.org/menu"]').count(), 1);
  await waitFor('Alice sees her message delivered', async () =>
    (await alice.locator('[data-testid=messages] li').last().getAttribute('data-status')) === 'sent');
  // Bob types: Alice sees it.
  const bobBox = bob.getByLabel('Message to Alice Example');
  await waitFor('Bob connected', async () => /In conversation/.test(await bob.getByTestId('chat-state').textContent()));
  await bobBox.pressSequentially('Sure, ', { delay: 30 });
  await waitFor('typing indicator at Alice', async () => /Bob Example is typing/.test(await alice.getByTestId('typing').textContent()));
  await bobBox.pressSequentially('see you at noon', { delay: 10 });
  await bobBox.press('Enter');
  await waitFor('Bob\'s reply at Alice', async () => (await bubbles(alice)).includes('Sure, see you at noon'));
  await waitFor('typing indicator gone', async () => (await alice.getByTestId('typing').textContent()) === '');
});

step('Bob loses the network while Alice sends three messages: they arrive once, in order', async () => {
  await bob.context().setOffline(true);
  await bob.locator('[data-testid=connection][data-state=reconnecting]').waitFor({ timeout: 10000 });
  const box = alice.getByLabel('Message to Bob Example');
  for (const text of ['one', 'two', 'three']) {
    await box.fill(text);
    await box.press('Enter');
  }
  await waitFor('Alice\'s three messages accepted', async () => {
    const s = await alice.locator('[data-testid=messages] li').evaluateAll((els) => els.slice(-3).map((e) => e.dataset.status));
    return s.every((x) => x === 'sent');
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!(await bubbles(bob)).includes('one'), 'nothing arrives while offline');
  await bob.context().setOffline(false);
  await bob.locator('[data-testid=connection][data-state=connected]').waitFor({ timeout: 20000 });
  await waitFor('the three messages at Bob', async () => (await bubbles(bob)).includes('three'));
  await new Promise((r) => setTimeout(r, 1500)); // a doubled delivery would show up by now
  const got = (await bubbles(bob)).filter((t) => ['one', 'two', 'three'].includes(t));
  assert.deepEqual(got, ['one', 'two', 'three']);
});

step('a screenshot of the chat at 390x844 is saved', async () => {
  mkdirSync(args.out, { recursive: true });
  await bob.screenshot({ path: join(args.out, 'chat.png') });
  await alice.screenshot({ path: join(args.out, 'chat-sender.png') });
});

step('Alice signs out; Bob sees his next message fail', async () => {
  await tab(alice, 'Settings');
  await alice.getByRole('button', { name: 'Sign out' }).click();
  await alice.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.match(await alice.locator('.notice').textContent(), /signed out/);
  const box = bob.getByLabel('Message to Alice Example');
  await waitFor('Bob sees the conversation end', async () => /ended/.test(await bob.getByTestId('chat-state').textContent()));
  await box.fill('Are you still there?');
  await box.press('Enter');
  await waitFor('delivery failure at Bob', async () =>
    /Not delivered/.test(await bob.locator('[data-testid=messages] li').last().textContent()));
});

step('Alice on another device (1280 px) sees the missed-items badge, history and read state', async () => {
  alice2 = await newPage({ width: 1280, height: 800 });
  await signIn(alice2, 'alice@example.org');
  await alice2.getByTestId('badge').first().waitFor();
  assert.ok(await alice2.evaluate(() => document.scrollingElement.scrollWidth <= 1280), 'no sideways scrolling at 1280 px');
  await tab(alice2, 'History');
  const rows = alice2.locator('[data-testid=history] button');
  await waitFor('two history entries', async () => (await rows.count()) === 2);
  const missed = rows.filter({ hasText: 'Missed' });
  assert.equal(await missed.getAttribute('data-read'), 'false');
  const chat = rows.filter({ hasNotText: 'Missed' });
  assert.equal(await chat.getAttribute('data-read'), 'true');
  await chat.click();
  const transcript = alice2.locator('[data-testid=transcript] .bubble');
  await waitFor('the whole conversation', async () => (await transcript.count()) >= 5);
  const texts = await transcript.allTextContents();
  const order = ['Hello Bob, lunch', 'Sure, see you at noon', 'one', 'two', 'three'];
  let at = -1;
  for (const t of order) {
    const i = texts.findIndex((x, k) => k > at && x.startsWith(t));
    assert.ok(i > at, `"${t}" in order in ${JSON.stringify(texts)}`);
    at = i;
  }
  await alice2.screenshot({ path: join(args.out, 'history-1280.png') });
  await alice2.getByRole('button', { name: 'Back' }).click();
  await rows.filter({ hasText: 'Missed' }).click();
  await waitFor('the missed message', async () => (await transcript.allTextContents()).includes('Are you still there?'));
  await alice2.getByRole('button', { name: 'Back' }).click();
  await waitFor('read everywhere now', async () =>
    (await rows.filter({ hasText: 'Missed' }).getAttribute('data-read')) === 'true');
  await waitFor('badge cleared', async () => (await alice2.getByTestId('badge').count()) === 0);
});

step('sign-out returns to the sign-in screen', async () => {
  for (const page of [alice2, bob]) {
    await tab(page, 'Settings');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  }
});

step('an account disabled mid-session is signed out with a clear notice', async () => {
  await signIn(bob, 'bob@example.org');
  cli('user', 'disable', 'bob@example.org');
  await bob.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20000 });
  assert.match(await bob.locator('.notice').textContent(), /signed out by the server|session has ended/);
});

step('the service worker caches the shell and never API answers', async () => {
  const page = alice2;
  await page.waitForFunction(() => navigator.serviceWorker?.controller || navigator.serviceWorker?.ready, null, { timeout: 15000 });
  const keys = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const out = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
    return out;
  });
  assert.ok(keys.includes('/index.html'), JSON.stringify(keys));
  assert.ok(keys.some((k) => k.startsWith('/assets/')), JSON.stringify(keys));
  assert.ok(!keys.some((k) => /ucwa|Autodiscover|WebTicket/i.test(k)), JSON.stringify(keys));
});

// ---- run --------------------------------------------------------------------------------------------
let failed = false;
try {
  const endpoints = await parleyd.endpoints();
  // The development certificate names localhost; discovery hands out https://localhost:<port>.
  base = endpoints.external.https.replace('127.0.0.1', 'localhost');
  // Trust exactly the server's key for this run (so the service worker may register), nothing
  // else: other certificate errors stay errors.
  browser = await launchChromium(chromium, args, parleyd.spki());
  mkdirSync(args.out, { recursive: true });
  failed = await runSteps(steps, { out: args.out, contexts });
} catch (e) {
  failed = true;
  console.log(`FAIL setup: ${e.stack ?? e}`);
} finally {
  await cleanup();
  if (failed) console.log(`parleyd log: ${parleyd.logFile}`);
  else rmSync(parleyd.dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
