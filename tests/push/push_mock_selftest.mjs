// Self-test for push_mock.mjs: plays the sender side of APNs, FCM HTTP v1 and Web Push
// against the mock, the way Parley will, and checks the answers.
// Usage: node push_mock_selftest.mjs   (exit status 0 only when every check passed)

import http2 from 'node:http2';
import https from 'node:https';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const kTeamId = 'TEAM123456';
const kKeyId = 'KEY1234567';
const kTopic = 'org.example.parley';
const kVoipTopic = 'org.example.parley.voip';
const kProject = 'parley-test';
const kClientEmail = 'push@parley-test.iam.gserviceaccount.com';
const kFcmScope = 'https://www.googleapis.com/auth/firebase.messaging';
const kDeviceToken = 'a'.repeat(24) + crypto.randomBytes(20).toString('hex');

let passed = 0;
let failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok   ${name}`); } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`); }
}

// ---------------------------------------------------------------------------------------------
// key material and config

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-mock-'));
const write = (name, data) => { const p = path.join(dir, name); fs.writeFileSync(p, data); return p; };
const pem = (k, type) => k.export({ format: 'pem', type });
const ec = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const rawPublic = (pub) => {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
};

const apnsKey = ec();
const otherEc = ec();
const fcmKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const browser = ec();
const browserGone = ec();
const vapid = ec();
const authSecret = crypto.randomBytes(16);

const keyPath = path.join(dir, 'tls.key');
const certPath = path.join(dir, 'tls.crt');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1',
  '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
const ca = fs.readFileSync(certPath);

const config = {
  key: keyPath,
  cert: certPath,
  apns: { teamId: kTeamId, keyId: kKeyId, publicKeyPem: write('apns.pub.pem', pem(apnsKey.publicKey, 'spki')), topics: [kTopic, kVoipTopic] },
  fcm: { projectId: kProject, clientEmail: kClientEmail, publicKeyPem: write('fcm.pub.pem', pem(fcmKey.publicKey, 'spki')) },
  webpush: {
    subscriptions: {
      sub1: { privateKeyPem: write('browser.pem', pem(browser.privateKey, 'pkcs8')), auth: authSecret.toString('base64url') },
      old: { privateKeyPem: write('browser-gone.pem', pem(browserGone.privateKey, 'pkcs8')), auth: authSecret.toString('base64url'), gone: true },
    },
  },
};
const configPath = write('config.json', JSON.stringify(config));

// ---------------------------------------------------------------------------------------------
// sender-side helpers

const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

function signJwt(header, claims, key) {
  const input = `${b64u(header)}.${b64u(claims)}`;
  const sig = header.alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

function apnsJwt({ key = apnsKey.privateKey, iat = nowSec(), kid = kKeyId, iss = kTeamId } = {}) {
  return signJwt({ alg: 'ES256', kid }, { iss, iat }, key);
}

function fcmAssertion(port, { key = fcmKey.privateKey, aud = `https://127.0.0.1:${port}/token`, iat = nowSec(), life = 3600 } = {}) {
  return signJwt({ alg: 'RS256', typ: 'JWT', kid: 'k1' }, { iss: kClientEmail, scope: kFcmScope, aud, iat, exp: iat + life }, key);
}

function vapidHeader(port, { aud = `https://127.0.0.1:${port}`, exp = nowSec() + 12 * 3600, sub = 'mailto:ops@example.org' } = {}) {
  const t = signJwt({ typ: 'JWT', alg: 'ES256' }, { aud, exp, sub }, vapid.privateKey);
  return `vapid t=${t}, k=${rawPublic(vapid.publicKey).toString('base64url')}`;
}

const hmac = (k, d) => crypto.createHmac('sha256', k).update(d).digest();

// RFC 8291 sender side: one aes128gcm record with a fresh ephemeral key and salt.
function encryptWebPush(plaintext, uaPublicKey, auth) {
  const eph = ec();
  const asPublic = rawPublic(eph.publicKey);
  const uaPublic = rawPublic(uaPublicKey);
  const ecdhSecret = crypto.diffieHellman({ privateKey: eph.privateKey, publicKey: uaPublicKey });
  const prkKey = hmac(auth, ecdhSecret);
  const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1])]));
  const salt = crypto.randomBytes(16);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const cipher = crypto.createCipheriv('aes-128-gcm', cek, nonce);
  const ct = Buffer.concat([cipher.update(Buffer.concat([Buffer.from(plaintext), Buffer.from([2])])), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(4096, 16);
  header[20] = 65;
  return Buffer.concat([header, asPublic, ct]);
}

// ---------------------------------------------------------------------------------------------
// transport helpers

let connections = 0;

function h2connect(port) {
  connections++;
  const s = http2.connect(`https://127.0.0.1:${port}`, { ca });
  s.on('error', () => {});
  return s;
}

function h2req(session, method, p, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const st = session.request({ ':method': method, ':path': p, ...headers });
    let rh = {};
    const chunks = [];
    st.on('response', (h) => { rh = h; });
    st.on('data', (c) => chunks.push(c));
    st.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      resolve({ status: rh[':status'], headers: rh, text, json });
    });
    st.on('error', reject);
    st.end(body);
  });
}

// A fresh socket per call so the connection count stays predictable.
function h1req(port, method, p, headers = {}, body) {
  connections++;
  return new Promise((resolve, reject) => {
    const r = https.request({ host: '127.0.0.1', port, method, path: p, headers, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json, httpVersion: res.httpVersion });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

function startMock() {
  const child = spawn(process.execPath, [path.join(here, 'push_mock.mjs'), configPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('mock did not report its port')), 10000);
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(buf.slice(0, nl)).port });
      }
    });
    child.on('exit', (code) => reject(new Error(`mock exited early with ${code}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// checks

async function apnsChecks(s, port) {
  const payload = JSON.stringify({ aps: { alert: { title: 'Parley', body: 'New message' }, sound: 'default' } });
  const base = (extra = {}) => ({ authorization: `bearer ${apnsJwt()}`, 'apns-topic': kTopic, 'apns-push-type': 'alert', 'apns-priority': '10', ...extra });
  const devPath = `/3/device/${kDeviceToken}`;

  let r = await h2req(s, 'POST', devPath, base({ 'apns-expiration': '0', 'apns-collapse-id': 'conv-1' }), payload);
  check('apns valid push -> 200', r.status === 200, r);
  check('apns generated apns-id is a UUID', /^[0-9a-f-]{36}$/.test(r.headers['apns-id'] || ''), r.headers);
  check('apns success body is empty', r.text === '', r.text);

  const myId = crypto.randomUUID();
  r = await h2req(s, 'POST', devPath, base({ 'apns-id': myId }), payload);
  check('apns echoes caller apns-id', r.status === 200 && r.headers['apns-id'] === myId, r.headers);

  r = await h2req(s, 'POST', devPath, base({ authorization: `bearer ${apnsJwt({ key: otherEc.privateKey })}` }), payload);
  check('apns bad signature -> 403 InvalidProviderToken', r.status === 403 && r.json?.reason === 'InvalidProviderToken', r);

  r = await h2req(s, 'POST', devPath, base({ authorization: `bearer ${apnsJwt({ kid: 'OTHERKEY00' })}` }), payload);
  check('apns wrong kid -> 403 InvalidProviderToken', r.status === 403 && r.json?.reason === 'InvalidProviderToken', r);

  r = await h2req(s, 'POST', devPath, base({ authorization: `bearer ${apnsJwt({ iat: nowSec() - 3700 })}` }), payload);
  check('apns stale JWT -> 403 ExpiredProviderToken', r.status === 403 && r.json?.reason === 'ExpiredProviderToken', r);

  const noAuth = base();
  delete noAuth.authorization;
  r = await h2req(s, 'POST', devPath, noAuth, payload);
  check('apns no authorization -> 403 MissingProviderToken', r.status === 403 && r.json?.reason === 'MissingProviderToken', r);

  const noTopic = base();
  delete noTopic['apns-topic'];
  r = await h2req(s, 'POST', devPath, noTopic, payload);
  check('apns missing topic -> 400 MissingTopic', r.status === 400 && r.json?.reason === 'MissingTopic', r);

  r = await h2req(s, 'POST', '/3/device/not-hex', base(), payload);
  check('apns non-hex token -> 400 BadDeviceToken', r.status === 400 && r.json?.reason === 'BadDeviceToken', r);

  r = await h2req(s, 'POST', devPath, base({ 'apns-push-type': 'background', 'apns-priority': '10' }), JSON.stringify({ aps: { 'content-available': 1 } }));
  check('apns background at priority 10 -> 400 BadPriority', r.status === 400 && r.json?.reason === 'BadPriority', r);

  r = await h2req(s, 'POST', devPath, base({ 'apns-collapse-id': 'x'.repeat(65) }), payload);
  check('apns 65-byte collapse id -> 400 BadCollapseId', r.status === 400 && r.json?.reason === 'BadCollapseId', r);

  r = await h2req(s, 'POST', devPath, base(), '');
  check('apns empty body -> 400 PayloadEmpty', r.status === 400 && r.json?.reason === 'PayloadEmpty', r);

  const big = JSON.stringify({ aps: { alert: 'x'.repeat(4200) } });
  r = await h2req(s, 'POST', devPath, base(), big);
  check('apns 4.2 KB alert -> 413 PayloadTooLarge', r.status === 413 && r.json?.reason === 'PayloadTooLarge', r);
  r = await h2req(s, 'POST', devPath, base({ 'apns-topic': kVoipTopic, 'apns-push-type': 'voip' }), big);
  check('apns 4.2 KB voip push fits the 5 KB limit -> 200', r.status === 200, r);
  r = await h2req(s, 'POST', devPath, base({ 'apns-topic': kTopic, 'apns-push-type': 'voip' }), payload);
  check('apns voip push on non-.voip topic is refused', r.status === 400 && r.json?.reason === 'InvalidPushType', r);

  await h2req(s, 'POST', '/control/script', { 'content-type': 'application/json' },
    JSON.stringify({ match: kDeviceToken, responses: [{ status: 410, reason: 'Unregistered', timestamp: 1700000000000 }, { status: 429, reason: 'TooManyRequests', retryAfter: 1 }] }));
  r = await h2req(s, 'POST', devPath, noTopic, payload);
  check('apns scripts wait until validation passes', r.status === 400 && r.json?.reason === 'MissingTopic', r);
  r = await h2req(s, 'POST', devPath, base(), payload);
  check('apns scripted 410 Unregistered with timestamp',
    r.status === 410 && r.json?.reason === 'Unregistered' && r.json?.timestamp === 1700000000000 && !!r.headers['apns-id'], r);
  r = await h2req(s, 'POST', devPath, base(), payload);
  check('apns scripted 429 TooManyRequests', r.status === 429 && r.json?.reason === 'TooManyRequests', r);
  r = await h2req(s, 'POST', devPath, base(), payload);
  check('apns back to normal after script', r.status === 200, r);

  r = await h1req(port, 'POST', devPath, { ...base(), 'content-type': 'application/json' }, payload);
  check('apns over HTTP/1.1 is refused with 505', r.status === 505, r);
}

async function fcmChecks(s, port) {
  const form = (assertion) => new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  let r = await h2req(s, 'POST', '/token', formHeaders, form(fcmAssertion(port, { key: otherRsa.privateKey })));
  check('fcm token: wrong key -> 400 invalid_grant', r.status === 400 && r.json?.error === 'invalid_grant', r);
  r = await h2req(s, 'POST', '/token', formHeaders, form(fcmAssertion(port, { aud: 'https://oauth2.googleapis.com/token' })));
  check('fcm token: foreign aud -> 400 invalid_grant', r.status === 400 && r.json?.error === 'invalid_grant', r);
  r = await h2req(s, 'POST', '/token', formHeaders, form(fcmAssertion(port, { life: 7200 })));
  check('fcm token: 2 h assertion -> 400 invalid_grant', r.status === 400 && r.json?.error === 'invalid_grant', r);

  // Token exchange over HTTP/1.1, as a plain HTTPS client would do it.
  r = await h1req(port, 'POST', '/token', formHeaders, form(fcmAssertion(port)));
  check('fcm token exchange -> access_token', r.status === 200 && typeof r.json?.access_token === 'string' &&
    r.json?.expires_in === 3599 && r.json?.token_type === 'Bearer', r);
  const access = r.json?.access_token;

  const sendPath = `/v1/projects/${kProject}/messages:send`;
  const msg = JSON.stringify({ message: { token: 'fcm-device-token-123456', data: { conv: '42', kind: 'im' }, android: { priority: 'high', ttl: '60s' } } });
  const jsonHeaders = (tok) => ({ authorization: `Bearer ${tok}`, 'content-type': 'application/json; charset=utf-8' });
  r = await h2req(s, 'POST', sendPath, jsonHeaders(access), msg);
  check('fcm send -> 200 with message name',
    r.status === 200 && typeof r.json?.name === 'string' && r.json.name.startsWith(`projects/${kProject}/messages/`), r);

  r = await h2req(s, 'POST', sendPath, jsonHeaders('ya29.not-issued'), msg);
  check('fcm wrong access token -> 401 UNAUTHENTICATED', r.status === 401 && r.json?.error?.status === 'UNAUTHENTICATED' && r.json?.error?.code === 401, r);

  r = await h2req(s, 'POST', sendPath, jsonHeaders(access), JSON.stringify({ message: { token: 'fcm-device-token-123456', data: { n: 1 } } }));
  check('fcm non-string data -> 400 INVALID_ARGUMENT', r.status === 400 && r.json?.error?.status === 'INVALID_ARGUMENT', r);

  await h2req(s, 'POST', '/control/script', {}, JSON.stringify({ match: 'messages:send', responses: [{ status: 404, reason: 'UNREGISTERED' }, { status: 429, reason: 'QUOTA_EXCEEDED', retryAfter: 2 }] }));
  r = await h2req(s, 'POST', sendPath, jsonHeaders(access), msg);
  const d = r.json?.error?.details?.[0];
  check('fcm scripted 404 in Google error shape', r.status === 404 && r.json?.error?.status === 'NOT_FOUND' &&
    r.json?.error?.message === 'Requested entity was not found.' &&
    d?.['@type'] === 'type.googleapis.com/google.firebase.fcm.v1.FcmError' && d?.errorCode === 'UNREGISTERED', r);
  r = await h2req(s, 'POST', sendPath, jsonHeaders(access), msg);
  check('fcm scripted 429 QUOTA_EXCEEDED + retry-after', r.status === 429 && r.json?.error?.details?.[0]?.errorCode === 'QUOTA_EXCEEDED' &&
    r.headers['retry-after'] === '2', r);

  await h2req(s, 'POST', '/control/expire-access-tokens', {}, '');
  r = await h2req(s, 'POST', sendPath, jsonHeaders(access), msg);
  check('fcm expired access token -> 401', r.status === 401, r);
}

async function webPushChecks(s, port) {
  const text = JSON.stringify({ title: 'Parley', body: 'Hello from Parley \u2713' });
  const good = (extra = {}) => ({ authorization: vapidHeader(port), ttl: '60', 'content-encoding': 'aes128gcm', urgency: 'high', topic: 'conv42', ...extra });

  let r = await h2req(s, 'POST', '/wp/sub1', good(), encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush valid -> 201 with Location', r.status === 201 && typeof r.headers.location === 'string' && r.headers.location.length > 0, r);

  const rec = await h2req(s, 'GET', '/control/received');
  const last = rec.json?.filter((e) => e.provider === 'webpush').at(-1);
  check('received shows decrypted plaintext', last?.body === text && last?.status === 201, last);

  r = await h2req(s, 'POST', '/wp/sub1', good(), encryptWebPush(text, browser.publicKey, crypto.randomBytes(16)));
  check('webpush wrong auth secret -> 400', r.status === 400, r);

  const noTtl = good();
  delete noTtl.ttl;
  r = await h2req(s, 'POST', '/wp/sub1', noTtl, encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush missing TTL -> 400', r.status === 400, r);

  r = await h2req(s, 'POST', '/wp/sub1', good({ authorization: vapidHeader(port, { aud: 'https://push.example.net' }) }), encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush VAPID wrong aud -> 403', r.status === 403, r);
  r = await h2req(s, 'POST', '/wp/sub1', good({ authorization: vapidHeader(port, { exp: nowSec() + 48 * 3600 }) }), encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush VAPID exp beyond 24 h -> 403', r.status === 403, r);
  const noAuth = good();
  delete noAuth.authorization;
  r = await h2req(s, 'POST', '/wp/sub1', noAuth, encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush without VAPID -> 401', r.status === 401, r);
  r = await h2req(s, 'POST', '/wp/sub1', good({ topic: 'x'.repeat(33) }), encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush 33-char Topic -> 400', r.status === 400, r);

  r = await h2req(s, 'POST', '/wp/nosuch', good(), encryptWebPush(text, browser.publicKey, authSecret));
  check('webpush unknown subscription -> 404', r.status === 404, r);
  r = await h2req(s, 'POST', '/wp/old', good(), encryptWebPush(text, browserGone.publicKey, authSecret));
  check('webpush gone subscription -> 410', r.status === 410, r);

  // HTTP/1.1 senders work too, and a delay script holds the answer back.
  await h2req(s, 'POST', '/control/script', {}, JSON.stringify({ match: '/wp/sub1', delayMs: 300, count: 1 }));
  const t0 = Date.now();
  r = await h1req(port, 'POST', '/wp/sub1', good(), encryptWebPush('via http/1.1', browser.publicKey, authSecret));
  check('webpush over HTTP/1.1 with delay script -> 201 after >= 300 ms', r.status === 201 && Date.now() - t0 >= 300, { status: r.status, ms: Date.now() - t0 });
}

async function main() {
  const { child, port } = await startMock();
  const exitCode = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
  try {
    const s = h2connect(port);
    await apnsChecks(s, port);
    await fcmChecks(s, port);
    await webPushChecks(s, port);

    const rec = (await h2req(s, 'GET', '/control/received')).json;
    check('received is an in-order log', Array.isArray(rec) && rec.length > 30 &&
      rec.every((e, i) => i === 0 || e.at >= rec[i - 1].at), rec?.length);
    const apnsFirst = rec?.find((e) => e.provider === 'apns');
    check('received entry fields', apnsFirst && apnsFirst.status === 200 && apnsFirst.httpVersion === '2.0' &&
      apnsFirst.headers['apns-topic'] === kTopic && JSON.parse(apnsFirst.body).aps && typeof apnsFirst.at === 'number', apnsFirst);
    check('received logs HTTP/1.1 token exchange', rec?.some((e) => e.provider === 'fcm-token' && e.status === 200 && e.httpVersion === '1.1'));

    // Second HTTP/2 connection to prove sessions are counted per connection, not per request.
    const s2 = h2connect(port);
    await h2req(s2, 'GET', '/control/received');
    s2.close();
    const stats = (await h2req(s, 'GET', '/control/stats')).json;
    check(`stats counts ${connections} TLS sessions`, stats?.sessions === connections, stats);
    check('stats counts provider requests', stats?.requests === rec.length, { stats, received: rec.length });

    await h2req(s, 'POST', '/control/reset', {}, '');
    const after = (await h2req(s, 'GET', '/control/received')).json;
    check('reset clears received', Array.isArray(after) && after.length === 0, after);
    s.close();
  } catch (e) {
    check('no exception', false, String(e && e.stack));
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exitCode;
  check('mock exits cleanly on SIGTERM', code === 0, code);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
