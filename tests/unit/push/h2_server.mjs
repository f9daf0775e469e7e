// An HTTP/2-only TLS server for the push HTTP client's tests.
// Usage: node h2_server.mjs <key.pem> <cert.pem>
// Prints {"port": N} as the first line on stdout once listening; exits when stdin closes, so it
// never outlives the test process that started it.
//
//   ANY  /echo[...]         200, JSON {method, path, headers, body, session}
//   ANY  /delay/<ms>        200 "ok" after <ms> milliseconds
//   GET  /large/<bytes>     200, a body of <bytes> 'x'
//   ANY  /status/<code>     that status; 429 and 503 carry retry-after: 30
//   ANY  /empty             200 with no body: one HEADERS frame that ends the stream, as APNs answers
//   GET  /stats             JSON {sessions, streams, resets}: TLS connections, requests, and streams
//                           the client reset while they were still open
import fs from 'node:fs';
import http2 from 'node:http2';

const [keyPath, certPath] = process.argv.slice(2);
const server = http2.createSecureServer({
  key: fs.readFileSync(keyPath),
  cert: fs.readFileSync(certPath),
  allowHTTP1: false,
  settings: { maxConcurrentStreams: 1000 },  // as APNs announces
  maxSessionMemory: 100,
});

let sessions = 0;
let streams = 0;
let resets = 0;
const sessionIds = new WeakMap();

server.on('session', (session) => {
  sessions += 1;
  sessionIds.set(session, sessions);
  session.on('error', () => {});
});

function reply(stream, status, body, headers = {}) {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': status, ...headers });
  stream.end(body);
}

server.on('stream', (stream, headers) => {
  streams += 1;
  stream.on('error', () => {});
  let answered = false;
  stream.on('close', () => { if (!answered && stream.rstCode) resets += 1; });
  const path = headers[':path'] || '/';
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let m;
    answered = !path.startsWith('/delay/');
    if (path === '/empty') {
      stream.respond({ ':status': 200, 'apns-id': `id-${streams}` }, { endStream: true });
    } else if (path.startsWith('/echo')) {
      const plain = {};
      for (const [k, v] of Object.entries(headers)) plain[k] = v;
      reply(stream, 200, JSON.stringify({
        method: headers[':method'], path, headers: plain, body,
        session: sessionIds.get(stream.session) || 0,
      }), { 'content-type': 'application/json', 'x-echo': 'Yes' });
    } else if ((m = /^\/delay\/(\d+)/.exec(path))) {
      const timer = setTimeout(() => { answered = true; reply(stream, 200, 'ok'); }, Number(m[1]));
      stream.on('close', () => clearTimeout(timer));
    } else if ((m = /^\/large\/(\d+)/.exec(path))) {
      reply(stream, 200, 'x'.repeat(Number(m[1])));
    } else if ((m = /^\/status\/(\d{3})/.exec(path))) {
      const code = Number(m[1]);
      const extra = code === 429 || code === 503 ? { 'retry-after': '30' } : {};
      reply(stream, code, JSON.stringify({ reason: `status ${code}` }),
        { 'content-type': 'application/json', ...extra });
    } else if (path === '/stats') {
      reply(stream, 200, JSON.stringify({ sessions, streams, resets }), { 'content-type': 'application/json' });
    } else {
      reply(stream, 404, 'not found');
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
