// Local stand-in for the three push providers Parley talks to: APNs (token auth),
// FCM HTTP v1 (with its OAuth 2.0 JWT-bearer token endpoint) and a Web Push service
// (RFC 8030 + RFC 8291 payload encryption + RFC 8292 VAPID).
//
// Usage: node push_mock.mjs <config.json>
// Prints {"port": N} on stdout once listening on 127.0.0.1, runs until SIGTERM/SIGINT.
// Only Node built-ins are used so the tests need no package install.

import http2 from 'node:http2';
import crypto from 'node:crypto';
import fs from 'node:fs';

const kApnsMaxPayload = 4096;
const kApnsMaxVoipPayload = 5120;
const kApnsMaxCollapseId = 64;
const kApnsTokenMaxAgeSec = 3600;
const kClockSkewSec = 60;
const kFcmScope = 'https://www.googleapis.com/auth/firebase.messaging';
const kFcmMaxAssertionLifetimeSec = 3600;
const kFcmAccessTokenLifetimeSec = 3599;
const kFcmMaxMessageBytes = 4096;
const kWebPushMaxBody = 4096;
const kVapidMaxLifetimeSec = 24 * 3600;
const kMaxBodyBytes = 1 << 20;

// Push types and the topic suffix Apple requires for each of them; plain types use the bundle id.
const kApnsPushTypes = {
  alert: '', background: '', voip: '.voip', complication: '.complication',
  fileprovider: '.pushkit.fileprovider', mdm: null, location: '.location-query',
  liveactivity: '.push-type.liveactivity', pushtotalk: '.voip-ptt', widgets: '.push-type.widgets',
  controls: '.push-type.controls',
};

const kFcmStatusNames = {
  400: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  401: ['UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR'],
  403: ['PERMISSION_DENIED', 'SENDER_ID_MISMATCH'],
  404: ['NOT_FOUND', 'UNREGISTERED'],
  429: ['RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'],
  500: ['INTERNAL', 'INTERNAL'],
  503: ['UNAVAILABLE', 'UNAVAILABLE'],
};

const kApnsDefaultReasons = {
  400: 'BadDeviceToken', 403: 'InvalidProviderToken', 404: 'BadPath', 405: 'MethodNotAllowed',
  410: 'Unregistered', 413: 'PayloadTooLarge', 429: 'TooManyRequests', 500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

// ---------------------------------------------------------------------------------------------
// configuration

function loadConfig(path) {
  const cfg = JSON.parse(fs.readFileSync(path, 'utf8'));
  const readPem = (p) => fs.readFileSync(p, 'utf8');
  const out = { key: readPem(cfg.key), cert: readPem(cfg.cert), apns: null, fcm: null, webpush: null };
  if (cfg.apns) {
    out.apns = {
      teamId: cfg.apns.teamId,
      keyId: cfg.apns.keyId,
      publicKey: crypto.createPublicKey(readPem(cfg.apns.publicKeyPem)),
      topics: new Set(cfg.apns.topics || []),
      unregistered: new Map(Object.entries(cfg.apns.unregistered || {})),
      // Apple throttles providers that mint a new JWT too often; off unless asked for,
      // because a restarted sender legitimately signs a fresh token.
      tokenUpdateMinSeconds: cfg.apns.tokenUpdateMinSeconds || 0,
    };
  }
  if (cfg.fcm) {
    out.fcm = {
      projectId: cfg.fcm.projectId,
      clientEmail: cfg.fcm.clientEmail,
      publicKey: crypto.createPublicKey(readPem(cfg.fcm.publicKeyPem)),
      unregistered: new Set(cfg.fcm.unregistered || []),
    };
  }
  if (cfg.webpush) {
    out.webpush = { subscriptions: new Map() };
    for (const [id, sub] of Object.entries(cfg.webpush.subscriptions || {})) {
      const priv = crypto.createPrivateKey(readPem(sub.privateKeyPem));
      const jwk = priv.export({ format: 'jwk' });
      const pub = Buffer.concat([Buffer.from([4]), b64uDecode(jwk.x), b64uDecode(jwk.y)]);
      out.webpush.subscriptions.set(id, {
        privateKey: priv,
        publicRaw: pub,
        auth: b64uDecode(sub.auth),
        gone: !!sub.gone,
        applicationServerKey: sub.applicationServerKey || null,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// helpers

function b64uDecode(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new Error('not base64url');
  return Buffer.from(s.replace(/=+$/, ''), 'base64url');
}

function nowSec() { return Math.floor(Date.now() / 1000); }

// Splits and checks a compact JWS; throws Error(message) on any defect so callers can map it.
// Providers verify a provider token once and then recognise it (APNs asks senders to reuse one
// for up to an hour): the signature check is remembered per token string and key; the claims are
// still checked by the caller on every request.
const verifiedTokens = new Map();

function verifyJwt(token, alg, key) {
  const remembered = verifiedTokens.get(token);
  if (remembered && remembered.key === key && remembered.alg === alg) return remembered.result;
  const result = verifyJwtOnce(token, alg, key);
  if (verifiedTokens.size > 10000) verifiedTokens.clear();
  verifiedTokens.set(token, { key, alg, result });
  return result;
}

function verifyJwtOnce(token, alg, key) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('malformed JWT');
  let header, claims;
  try {
    header = JSON.parse(b64uDecode(parts[0]).toString('utf8'));
    claims = JSON.parse(b64uDecode(parts[1]).toString('utf8'));
  } catch { throw new Error('JWT segments are not base64url JSON'); }
  if (header.alg !== alg) throw new Error(`JWT alg is ${header.alg}, expected ${alg}`);
  const sig = b64uDecode(parts[2]);
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  let ok = false;
  try {
    ok = alg === 'ES256'
      ? sig.length === 64 && crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
      : crypto.verify('sha256', data, key, sig);
  } catch { ok = false; }
  if (!ok) throw new Error('JWT signature does not verify');
  return { header, claims };
}

function ecPublicKeyFromRaw(raw) {
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('not an uncompressed P-256 point');
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') },
    format: 'jwk',
  });
}

function hmac(key, data) { return crypto.createHmac('sha256', key).update(data).digest(); }

// RFC 8291 section 3.4 / RFC 8188 section 2: one aes128gcm record addressed to this subscription.
function decryptWebPush(body, sub) {
  if (body.length < 21) throw new Error('body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (rs < 18) throw new Error('record size below 18');
  if (idlen !== 65) throw new Error('keyid must be the 65-byte sender public key');
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (ciphertext.length < 17) throw new Error('no ciphertext');
  // RFC 8291 section 4: the sender must use a single record.
  if (ciphertext.length > rs) throw new Error('more than one record');
  const ecdhSecret = crypto.diffieHellman({ privateKey: sub.privateKey, publicKey: ecPublicKeyFromRaw(asPublic) });
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), sub.publicRaw, asPublic]);
  const prkKey = hmac(sub.auth, ecdhSecret);
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  let plain;
  try {
    plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch { throw new Error('AEAD tag mismatch (wrong keys or auth secret)'); }
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (end < 0 || plain[end] !== 2) throw new Error('last record lacks the 0x02 padding delimiter');
  return plain.subarray(0, end);
}

// Node folds repeated headers into one value; rawHeaders keeps them apart.
function repeatedHeaders(req) {
  const seen = new Set();
  const dup = new Set();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const n = req.rawHeaders[i].toLowerCase();
    if (n.startsWith(':') || n === 'cookie') continue;
    if (seen.has(n)) dup.add(n);
    seen.add(n);
  }
  return dup;
}

function plainHeaders(req) {
  const out = {};
  for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':')) out[k.toLowerCase()] = v;
  return out;
}

class Reject extends Error {
  constructor(status, reason, message, extra) {
    super(message || reason);
    this.status = status;
    this.reason = reason;
    this.extra = extra || {};
  }
}

// ---------------------------------------------------------------------------------------------
// state

const state = {
  received: [],
  scripts: [],      // {match, responses: [...]}
  delays: [],       // {match, delayMs, remaining (null = until reset)}
  sessions: 0,
  requests: 0,
  accessTokens: new Map(), // token -> expiry (ms)
  apnsLastToken: null,     // {jwt, iat}
  nextConnId: 1,
};

function takeScripted(path) {
  for (const s of state.scripts) {
    if (s.responses.length > 0 && path.includes(s.match)) return s.responses.shift();
  }
  return null;
}

function delayFor(path) {
  for (const d of state.delays) {
    if (!path.includes(d.match)) continue;
    if (d.remaining === null) return d.delayMs;
    if (d.remaining > 0) { d.remaining--; return d.delayMs; }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// APNs

function apnsCheckAuth(cfg, req) {
  const auth = req.headers.authorization;
  if (!auth) throw new Reject(403, 'MissingProviderToken');
  const m = /^bearer\s+(\S+)$/i.exec(auth);
  if (!m) throw new Reject(403, 'InvalidProviderToken', 'authorization is not "bearer <jwt>"');
  let jwt;
  try { jwt = verifyJwt(m[1], 'ES256', cfg.publicKey); } catch (e) {
    throw new Reject(403, 'InvalidProviderToken', e.message);
  }
  const { header, claims } = jwt;
  if (header.kid !== cfg.keyId) throw new Reject(403, 'InvalidProviderToken', `kid ${header.kid} is not ${cfg.keyId}`);
  if (claims.iss !== cfg.teamId) throw new Reject(403, 'InvalidProviderToken', `iss ${claims.iss} is not ${cfg.teamId}`);
  if (!Number.isInteger(claims.iat)) throw new Reject(403, 'InvalidProviderToken', 'iat missing or not an integer');
  const now = nowSec();
  if (claims.iat > now + kClockSkewSec) throw new Reject(403, 'InvalidProviderToken', 'iat is in the future');
  if (now - claims.iat > kApnsTokenMaxAgeSec) throw new Reject(403, 'ExpiredProviderToken', 'iat older than one hour');
  if (cfg.tokenUpdateMinSeconds > 0) {
    const last = state.apnsLastToken;
    if (last && last.jwt !== m[1] && claims.iat - last.iat < cfg.tokenUpdateMinSeconds) {
      throw new Reject(429, 'TooManyProviderTokenUpdates');
    }
    if (!last || last.jwt !== m[1]) state.apnsLastToken = { jwt: m[1], iat: claims.iat };
  }
}

function handleApns(cfg, req, body, ctx) {
  if (req.method !== 'POST') throw new Reject(405, 'MethodNotAllowed');
  const m = /^\/3\/device\/([^/?]*)$/.exec(ctx.pathname);
  if (!m) throw new Reject(404, 'BadPath');
  const dups = [...repeatedHeaders(req)].filter((h) => h.startsWith('apns-') || h === 'authorization');
  if (dups.length) throw new Reject(400, 'DuplicateHeaders', dups.join(','));
  const apnsId = req.headers['apns-id'];
  if (apnsId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(apnsId)) {
    throw new Reject(400, 'BadMessageId');
  }
  ctx.apnsId = (apnsId || crypto.randomUUID()).toLowerCase();
  apnsCheckAuth(cfg, req);

  const token = m[1];
  if (token === '') throw new Reject(400, 'MissingDeviceToken');
  // Apple no longer promises 32 bytes, so accept any even-length hex of plausible size.
  if (!/^[0-9a-fA-F]+$/.test(token) || token.length % 2 !== 0 || token.length < 32 || token.length > 200) {
    throw new Reject(400, 'BadDeviceToken');
  }
  const topic = req.headers['apns-topic'];
  if (topic === undefined || topic === '') throw new Reject(400, 'MissingTopic');
  if (!cfg.topics.has(topic)) throw new Reject(400, 'TopicDisallowed', `topic ${topic} not allowed for this team`);
  const pushType = req.headers['apns-push-type'];
  if (pushType === undefined || !(pushType in kApnsPushTypes)) {
    throw new Reject(400, 'InvalidPushType', pushType === undefined ? 'apns-push-type missing' : `unknown push type ${pushType}`);
  }
  const suffix = kApnsPushTypes[pushType];
  if (suffix !== null) {
    const hasSpecialSuffix = Object.values(kApnsPushTypes).some((s) => s && topic.endsWith(s));
    const fits = suffix === '' ? !hasSpecialSuffix : topic.endsWith(suffix);
    if (!fits) throw new Reject(400, 'InvalidPushType', `push type ${pushType} does not fit topic ${topic}`);
  }
  const prio = req.headers['apns-priority'];
  if (prio !== undefined && !['1', '5', '10'].includes(prio)) throw new Reject(400, 'BadPriority');
  // Apple's default priority is 10, which is an error for background pushes.
  if (pushType === 'background' && prio !== '5') throw new Reject(400, 'BadPriority', 'background pushes must use priority 5');
  const exp = req.headers['apns-expiration'];
  if (exp !== undefined && !/^\d{1,10}$/.test(exp)) throw new Reject(400, 'BadExpirationDate');
  const collapse = req.headers['apns-collapse-id'];
  if (collapse !== undefined && Buffer.byteLength(collapse) > kApnsMaxCollapseId) throw new Reject(400, 'BadCollapseId');

  if (body.length === 0) throw new Reject(400, 'PayloadEmpty');
  const limit = pushType === 'voip' ? kApnsMaxVoipPayload : kApnsMaxPayload;
  if (body.length > limit) throw new Reject(413, 'PayloadTooLarge');
  let payload;
  try { payload = JSON.parse(body.toString('utf8')); } catch { payload = null; }
  // Apple has no reason code for malformed JSON; PayloadEmpty is what it answers for a
  // payload it cannot use, so reuse it rather than invent a new reason.
  if (!payload || typeof payload !== 'object' || Array.isArray(payload) ||
      !payload.aps || typeof payload.aps !== 'object' || Array.isArray(payload.aps)) {
    throw new Reject(400, 'PayloadEmpty', 'body is not a JSON object with an "aps" dictionary');
  }
  const gone = cfg.unregistered.get(token.toLowerCase());
  if (gone !== undefined) throw new Reject(410, 'Unregistered', null, { timestamp: gone === true ? Date.now() : gone });
}

function sendApns(res, ctx, status, reason, extra) {
  const headers = { 'apns-id': ctx.apnsId || crypto.randomUUID() };
  if (extra && extra.retryAfter !== undefined) headers['retry-after'] = String(extra.retryAfter);
  if (status === 200) {
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const obj = { reason };
  if (status === 410) obj.timestamp = (extra && extra.timestamp) || Date.now();
  headers['content-type'] = 'application/json';
  res.writeHead(status, headers);
  res.end(JSON.stringify(obj));
}

// ---------------------------------------------------------------------------------------------
// FCM

function handleFcmToken(cfg, req, body, ctx) {
  if (req.method !== 'POST') throw new Reject(405, 'invalid_request', 'POST required');
  const ctype = String(req.headers['content-type'] || '');
  if (!ctype.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new Reject(400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const grant = form.get('grant_type');
  if (grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    throw new Reject(400, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
  }
  const assertion = form.get('assertion');
  if (!assertion) throw new Reject(400, 'invalid_request', 'Missing required parameter: assertion');
  let jwt;
  try { jwt = verifyJwt(assertion, 'RS256', cfg.publicKey); } catch (e) {
    throw new Reject(400, 'invalid_grant', `Invalid JWT Signature. (${e.message})`);
  }
  const c = jwt.claims;
  if (c.iss !== cfg.clientEmail) throw new Reject(400, 'invalid_grant', 'Invalid JWT: iss is not the service account');
  let aud;
  try { aud = new URL(String(c.aud)); } catch { aud = null; }
  if (!aud || aud.protocol !== 'https:' || aud.hostname !== '127.0.0.1' || aud.pathname !== '/token') {
    throw new Reject(400, 'invalid_grant', `Invalid JWT: audience ${c.aud} is not this token endpoint`);
  }
  const scopes = String(c.scope || '').split(/\s+/);
  if (!scopes.includes(kFcmScope)) throw new Reject(400, 'invalid_scope', `scope must include ${kFcmScope}`);
  const now = nowSec();
  if (!Number.isInteger(c.iat) || !Number.isInteger(c.exp) || c.exp <= c.iat ||
      c.exp - c.iat > kFcmMaxAssertionLifetimeSec || c.iat > now + kClockSkewSec || c.exp < now - kClockSkewSec) {
    throw new Reject(400, 'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
  }
  ctx.accessToken = `ya29.mock-${crypto.randomBytes(24).toString('base64url')}`;
}

function sendFcmToken(res, ctx, status, reason, extra) {
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' };
  if (extra && extra.retryAfter !== undefined) headers['retry-after'] = String(extra.retryAfter);
  if (status === 200) {
    const token = ctx.accessToken || `ya29.mock-${crypto.randomBytes(24).toString('base64url')}`;
    state.accessTokens.set(token, Date.now() + kFcmAccessTokenLifetimeSec * 1000);
    res.writeHead(200, headers);
    res.end(JSON.stringify({ access_token: token, expires_in: kFcmAccessTokenLifetimeSec, token_type: 'Bearer' }));
    return;
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: reason || 'invalid_grant', error_description: (extra && extra.message) || reason }));
}

const kFcmMessageFields = new Set(['name', 'data', 'notification', 'android', 'webpush', 'apns', 'fcm_options', 'fcmOptions', 'token', 'topic', 'condition']);

function fcmInvalid(message, field) {
  return new Reject(400, 'INVALID_ARGUMENT', message, { field });
}

function handleFcmSend(cfg, req, body, ctx) {
  const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(ctx.pathname);
  if (!m) throw new Reject(404, 'NOT_FOUND_PATH', 'The requested URL was not found on this server.');
  if (req.method !== 'POST') throw new Reject(405, 'METHOD', 'Method not allowed');
  const auth = String(req.headers.authorization || '');
  const am = /^Bearer\s+(\S+)$/i.exec(auth);
  const expiry = am ? state.accessTokens.get(am[1]) : undefined;
  if (expiry === undefined || expiry < Date.now()) {
    throw new Reject(401, 'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
  }
  if (m[1] !== cfg.projectId) {
    throw new Reject(403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${m[1]}' (or it may not exist).`);
  }
  let doc;
  try { doc = JSON.parse(body.toString('utf8')); } catch {
    throw fcmInvalid('Invalid JSON payload received. Body is not valid JSON.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fcmInvalid('Invalid JSON payload received.');
  for (const k of Object.keys(doc)) {
    if (k !== 'message' && k !== 'validate_only' && k !== 'validateOnly') {
      throw fcmInvalid(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`, k);
    }
  }
  const msg = doc.message;
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw fcmInvalid('Request contains an invalid argument.', 'message');
  for (const k of Object.keys(msg)) {
    if (!kFcmMessageFields.has(k)) {
      throw fcmInvalid(`Invalid JSON payload received. Unknown name "${k}" at 'message': Cannot find field.`, `message.${k}`);
    }
  }
  const targets = ['token', 'topic', 'condition'].filter((k) => msg[k] !== undefined);
  if (targets.length !== 1) throw fcmInvalid('Exactly one of token, topic or condition must be set.', 'message');
  if (msg.token !== undefined && (typeof msg.token !== 'string' || msg.token.length < 8 || /\s/.test(msg.token))) {
    throw fcmInvalid('The registration token is not a valid FCM registration token', 'message.token');
  }
  if (msg.data !== undefined) {
    if (typeof msg.data !== 'object' || Array.isArray(msg.data) || msg.data === null) throw fcmInvalid('data must be a map', 'message.data');
    for (const [k, v] of Object.entries(msg.data)) {
      if (typeof v !== 'string') {
        throw fcmInvalid(`Invalid value at 'message.data[${k}].value' (TYPE_STRING), ${JSON.stringify(v)}`, `message.data[${k}].value`);
      }
    }
  }
  const android = msg.android;
  if (android !== undefined) {
    if (android.priority !== undefined && !/^(normal|high)$/i.test(String(android.priority))) {
      throw fcmInvalid(`Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "${android.priority}"`, 'message.android.priority');
    }
    if (android.ttl !== undefined && !/^\d+(\.\d{1,9})?s$/.test(String(android.ttl))) {
      throw fcmInvalid(`Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), "${android.ttl}"`, 'message.android.ttl');
    }
    if (android.data !== undefined) {
      for (const [k, v] of Object.entries(android.data)) {
        if (typeof v !== 'string') throw fcmInvalid(`Invalid value at 'message.android.data[${k}].value' (TYPE_STRING)`, `message.android.data[${k}].value`);
      }
    }
  }
  if (Buffer.byteLength(JSON.stringify({ data: msg.data, notification: msg.notification })) > kFcmMaxMessageBytes) {
    throw fcmInvalid('Android message is too big', 'message');
  }
  if (msg.token !== undefined && cfg.unregistered.has(msg.token)) {
    throw new Reject(404, 'UNREGISTERED', 'Requested entity was not found.');
  }
  ctx.validateOnly = !!(doc.validate_only || doc.validateOnly);
  ctx.projectId = m[1];
}

function sendFcm(res, ctx, status, reason, extra) {
  const headers = { 'content-type': 'application/json; charset=UTF-8' };
  if (extra && extra.retryAfter !== undefined) headers['retry-after'] = String(extra.retryAfter);
  if (status === 200) {
    const id = ctx.validateOnly ? 'fake_message_id' : `0:${Date.now()}%${crypto.randomBytes(8).toString('hex')}`;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ name: `projects/${ctx.projectId}/messages/${id}` }, null, 2));
    return;
  }
  if (reason === 'NOT_FOUND_PATH' || reason === 'METHOD') {
    // Google's front end answers unknown URLs with an HTML page, not the JSON error.
    res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(`<!DOCTYPE html><html><body><p>${extra && extra.message}</p></body></html>`);
    return;
  }
  const [statusName, defaultCode] = kFcmStatusNames[status] || ['UNKNOWN', 'UNSPECIFIED_ERROR'];
  let errorCode = defaultCode;
  if (reason && /^[A-Z_]+$/.test(reason) && !Object.values(kFcmStatusNames).some(([s]) => s === reason)) errorCode = reason;
  if (reason === 'INVALID_ARGUMENT') errorCode = 'INVALID_ARGUMENT';
  const messages = {
    400: 'Request contains an invalid argument.',
    401: 'Request had invalid authentication credentials.',
    403: 'SenderId mismatch',
    404: 'Requested entity was not found.',
    429: 'Quota exceeded for quota metric.',
    500: 'Internal error encountered.',
    503: 'The service is currently unavailable.',
  };
  const details = [];
  if (status === 401) {
    headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/"';
    details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' });
  } else if (status === 403 && reason === 'PERMISSION_DENIED') {
    details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'googleapis.com' });
  } else {
    details.push({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode });
    if (status === 400 && extra && extra.field) {
      details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: extra.field, description: extra.message }] });
    }
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { code: status, message: (extra && extra.message) || messages[status] || 'Error', status: statusName, details } }, null, 2));
}

// ---------------------------------------------------------------------------------------------
// Web Push

function handleWebPush(cfg, req, body, ctx) {
  const m = /^\/wp\/([^/?]+)$/.exec(ctx.pathname);
  if (!m) throw new Reject(404, 'NotFound', 'no such subscription');
  if (req.method !== 'POST') throw new Reject(405, 'MethodNotAllowed', 'push messages are POSTed');
  const sub = cfg.subscriptions.get(m[1]);
  if (!sub) throw new Reject(404, 'NotFound', 'no such subscription');
  if (sub.gone) throw new Reject(410, 'Gone', 'subscription has expired or been unsubscribed');

  const auth = req.headers.authorization;
  if (!auth) throw new Reject(401, 'Unauthorized', 'VAPID authorization missing');
  const am = /^vapid\s+(.*)$/i.exec(auth);
  if (!am) throw new Reject(401, 'Unauthorized', 'authorization scheme must be vapid');
  const params = {};
  for (const part of am[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  if (!params.t || !params.k) throw new Reject(401, 'Unauthorized', 'vapid needs t= and k=');
  let vapidKey;
  try { vapidKey = ecPublicKeyFromRaw(b64uDecode(params.k)); } catch (e) {
    throw new Reject(403, 'Forbidden', `vapid k is not a P-256 public key: ${e.message}`);
  }
  if (sub.applicationServerKey && params.k.replace(/=+$/, '') !== sub.applicationServerKey.replace(/=+$/, '')) {
    throw new Reject(403, 'Forbidden', 'vapid k does not match the subscription applicationServerKey');
  }
  let jwt;
  try { jwt = verifyJwt(params.t, 'ES256', vapidKey); } catch (e) {
    throw new Reject(403, 'Forbidden', `vapid token: ${e.message}`);
  }
  const c = jwt.claims;
  if (c.aud !== ctx.origin) throw new Reject(403, 'Forbidden', `vapid aud ${c.aud} is not ${ctx.origin}`);
  const now = nowSec();
  if (!Number.isInteger(c.exp) || c.exp <= now || c.exp > now + kVapidMaxLifetimeSec + kClockSkewSec) {
    throw new Reject(403, 'Forbidden', 'vapid exp must be in the future and at most 24 hours away');
  }
  if (typeof c.sub !== 'string' || !/^(mailto:|https:)/.test(c.sub)) {
    throw new Reject(403, 'Forbidden', 'vapid sub must be a mailto: or https: URI');
  }

  const ttl = req.headers.ttl;
  if (ttl === undefined || !/^\d+$/.test(ttl)) throw new Reject(400, 'BadRequest', 'TTL header missing or not a non-negative integer');
  ctx.ttl = ttl;
  const urgency = req.headers.urgency;
  if (urgency !== undefined && !['very-low', 'low', 'normal', 'high'].includes(urgency)) {
    throw new Reject(400, 'BadRequest', 'Urgency must be very-low, low, normal or high');
  }
  const topic = req.headers.topic;
  if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) {
    throw new Reject(400, 'BadRequest', 'Topic must be at most 32 base64url characters');
  }
  if (body.length > kWebPushMaxBody) throw new Reject(413, 'PayloadTooLarge', 'payload exceeds 4096 bytes');
  if (body.length === 0) { ctx.plaintext = ''; return; }
  const enc = String(req.headers['content-encoding'] || '').toLowerCase();
  if (enc !== 'aes128gcm') throw new Reject(400, 'BadRequest', 'Content-Encoding must be aes128gcm');
  try { ctx.plaintext = decryptWebPush(body, sub).toString('utf8'); } catch (e) {
    throw new Reject(400, 'BadRequest', `payload does not decrypt: ${e.message}`);
  }
}

function sendWebPush(res, ctx, status, reason, extra) {
  const headers = {};
  if (extra && extra.retryAfter !== undefined) headers['retry-after'] = String(extra.retryAfter);
  if (status === 201 || status === 200) {
    headers.location = `${ctx.origin}/wp-msg/${crypto.randomUUID()}`;
    if (ctx.ttl !== undefined) headers.ttl = ctx.ttl;
    res.writeHead(201, headers);
    res.end();
    return;
  }
  if (status === 401) headers['www-authenticate'] = 'vapid';
  headers['content-type'] = 'application/json';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ code: status, error: reason || 'Error', message: (extra && extra.message) || reason || '' }));
}

// ---------------------------------------------------------------------------------------------
// control API

function sendJson(res, status, obj) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

function handleControl(req, res, body, pathname) {
  if (pathname === '/control/received' && req.method === 'GET') return sendJson(res, 200, state.received);
  if (pathname === '/control/stats' && req.method === 'GET') {
    return sendJson(res, 200, { sessions: state.sessions, requests: state.requests, received: state.received.length });
  }
  if (pathname === '/control/reset' && req.method === 'POST') {
    state.received = [];
    state.scripts = [];
    state.delays = [];
    state.apnsLastToken = null;
    return sendJson(res, 200, { ok: true });
  }
  if (pathname === '/control/expire-access-tokens' && req.method === 'POST') {
    for (const k of state.accessTokens.keys()) state.accessTokens.set(k, 0);
    return sendJson(res, 200, { ok: true });
  }
  if (pathname === '/control/script' && req.method === 'POST') {
    let doc;
    try { doc = JSON.parse(body.toString('utf8')); } catch { return sendJson(res, 400, { error: 'body is not JSON' }); }
    if (!doc || typeof doc.match !== 'string') return sendJson(res, 400, { error: '"match" string required' });
    if (doc.responses !== undefined) {
      if (!Array.isArray(doc.responses) || doc.responses.some((r) => !r || !Number.isInteger(r.status))) {
        return sendJson(res, 400, { error: '"responses" must be an array of {status, ...}' });
      }
      state.scripts.push({ match: doc.match, responses: doc.responses.slice() });
    }
    if (doc.delayMs !== undefined) {
      if (!Number.isFinite(doc.delayMs) || doc.delayMs < 0) return sendJson(res, 400, { error: '"delayMs" must be >= 0' });
      state.delays.push({ match: doc.match, delayMs: doc.delayMs, remaining: Number.isInteger(doc.count) ? doc.count : null });
    }
    if (doc.responses === undefined && doc.delayMs === undefined) return sendJson(res, 400, { error: 'need "responses" or "delayMs"' });
    return sendJson(res, 200, { ok: true });
  }
  return sendJson(res, 404, { error: `unknown control endpoint ${req.method} ${pathname}` });
}

// ---------------------------------------------------------------------------------------------
// dispatch

function providerFor(pathname) {
  if (pathname.startsWith('/3/')) return 'apns';
  if (pathname === '/token') return 'fcm-token';
  if (pathname.startsWith('/v1/')) return 'fcm';
  if (pathname.startsWith('/wp/')) return 'webpush';
  return null;
}

const kProviders = {
  apns: { cfgKey: 'apns', check: handleApns, send: sendApns, ok: 200 },
  'fcm-token': { cfgKey: 'fcm', check: handleFcmToken, send: sendFcmToken, ok: 200 },
  fcm: { cfgKey: 'fcm', check: handleFcmSend, send: sendFcm, ok: 200 },
  webpush: { cfgKey: 'webpush', check: handleWebPush, send: sendWebPush, ok: 201 },
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= kMaxBodyBytes) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function handle(config, port, req, res) {
  const body = await readBody(req);
  const url = new URL(req.url, 'https://127.0.0.1');
  const pathname = url.pathname;
  if (pathname.startsWith('/control/')) return handleControl(req, res, body, pathname);

  const provider = providerFor(pathname);
  state.requests++;
  const entry = {
    provider: provider || 'unknown',
    method: req.method,
    path: req.url,
    headers: plainHeaders(req),
    // Web Push bodies are recorded as the decrypted plaintext (null when it did not decrypt).
    body: provider === 'webpush' ? null : body.toString('utf8'),
    bodyBytes: body.length,
    status: null,
    reason: null,
    at: Date.now(),
    httpVersion: req.httpVersion,
    connection: req.socket && req.socket.parleyConnId,
  };
  state.received.push(entry);
  const ctx = { pathname, origin: `https://127.0.0.1:${port}` };

  const p = provider && kProviders[provider];
  const cfg = p && config[p.cfgKey];
  if (!p || !cfg) {
    entry.status = 404;
    entry.reason = 'NoSuchProvider';
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }

  let status = p.ok;
  let reason = null;
  let extra = {};
  if (provider === 'apns' && req.httpVersion !== '2.0') {
    // APNs only speaks HTTP/2. The real service never gets this far (ALPN offers h2 only);
    // answer 505 and close so an HTTP/1.1 client fails loudly instead of hanging.
    entry.status = 505;
    entry.reason = 'HTTP2Required';
    res.writeHead(505, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ reason: 'HTTP2Required' }));
    return;
  }
  try {
    p.check(cfg, req, body, ctx);
    if (provider === 'webpush') entry.body = ctx.plaintext;
    const scripted = takeScripted(req.url);
    if (scripted) {
      status = scripted.status;
      reason = scripted.reason || null;
      extra = { retryAfter: scripted.retryAfter, timestamp: scripted.timestamp, message: scripted.message };
      entry.scripted = true;
    }
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    status = e.status;
    reason = e.reason;
    extra = { ...e.extra, message: e.message };
  }
  if (status !== p.ok && status !== 200 && reason === null && provider === 'apns') reason = kApnsDefaultReasons[status] || 'InternalServerError';
  entry.status = status === 200 && provider === 'webpush' ? 201 : status;
  entry.reason = reason;
  if (extra.message && status !== p.ok) entry.detail = extra.message;

  const delay = delayFor(req.url);
  if (delay > 0) await sleep(delay);
  if (res.destroyed || res.stream?.destroyed) return;
  p.send(res, ctx, status, reason, extra);
}

function main() {
  const configPath = process.argv[2];
  if (!configPath) {
    process.stderr.write('usage: node push_mock.mjs <config.json>\n');
    process.exit(2);
  }
  const config = loadConfig(configPath);
  const server = http2.createSecureServer({ key: config.key, cert: config.cert, allowHTTP1: true });
  let port = 0;
  // Every accepted TLS connection, whichever protocol ALPN picked.
  server.on('secureConnection', (sock) => {
    state.sessions++;
    sock.parleyConnId = state.nextConnId++;
  });
  server.on('session', (session) => session.on('error', () => {}));
  server.on('request', (req, res) => {
    // In HTTP/2 compat mode req.socket is a proxy to the session socket, so tagging above carries over.
    handle(config, port, req, res).catch((e) => {
      process.stderr.write(`push_mock: ${e && e.stack}\n`);
      try { sendJson(res, 500, { error: String(e) }); } catch { /* stream already gone */ }
    });
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1', () => {
    port = server.address().port;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
