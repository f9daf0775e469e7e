// Shared start-up for the browser tests: arguments, preconditions (failures, never skips), a
// parleyd on loopback ephemeral ports, the admin CLI, Chromium through playwright-core, and small
// page helpers.
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';

export const PASSWORD = 'correct horse battery';

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

export function parseArgs(name) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  for (const k of ['parleyd', 'parley', 'client', 'out'])
    if (!args[k]) {
      console.error(`usage: node ${name} --parleyd BIN --parley BIN --client DIR --out DIR (missing --${k})`);
      process.exit(2);
    }
  args.chromium = args.chromium ?? process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
  args.client = resolvePath(args.client);
  args.out = resolvePath(args.out);
  args.dist = join(args.client, 'dist');
  return args;
}

export function loadPlaywright(args) {
  if (!existsSync(args.chromium)) fail(`chromium not found at ${args.chromium} (run scripts/setup)`);
  if (!existsSync(join(args.client, 'node_modules'))) fail(`${args.client}/node_modules is missing (run scripts/setup or npm ci)`);
  if (!existsSync(join(args.dist, 'index.html'))) fail(`${args.dist}/index.html is missing (run npm run build in client/)`);
  try {
    return createRequire(join(args.client, 'package.json'))('playwright-core').chromium;
  } catch (e) {
    fail(`playwright-core cannot be loaded from ${args.client}: ${e.message}`);
  }
}

// A parleyd with its own data directory; `extraToml` is appended to the configuration.
export function startParleyd(args, extraToml) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  const dataDir = join(dir, 'data');
  writeFileSync(
    join(dir, 'parleyd.toml'),
    `data_dir = "${dataDir}"
threads = 2
[sites.internal]
https = "127.0.0.1:0"
http = ""
[sites.external]
https = "127.0.0.1:0"
http = ""
[passwords]
opslimit = 1
memlimit = 8192
${extraToml}
`,
  );
  const server = spawn(args.parleyd, ['--config', join(dir, 'parleyd.toml')], {
    env: { ...process.env, PARLEY_CLIENT_DIR: args.dist },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = { dir, dataDir, server, log: '', logFile: join(dir, 'parleyd.log') };
  server.stdout.on('data', (d) => (s.log += d));
  server.stderr.on('data', (d) => (s.log += d));
  s.endpoints = async () => {
    const file = join(dataDir, 'parleyd.endpoints.json');
    for (let i = 0; i < 300; i++) {
      if (server.exitCode !== null) throw new Error(`parleyd exited: ${s.log}`);
      if (existsSync(file)) {
        try {
          const e = JSON.parse(readFileSync(file, 'utf8'));
          if (e.pid === server.pid) return e;
        } catch {}
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('parleyd did not come up');
  };
  s.stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
    writeFileSync(s.logFile, s.log);
  };
  s.cli = (...argv) => {
    const input = argv[0] === 'user' && argv[1] === 'add' ? PASSWORD + '\n' : '';
    const r = spawnSync(args.parley, ['--data-dir', dataDir, ...argv], { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`parley ${argv.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  // Trust exactly this run's server key in the browser, nothing else.
  s.spki = () => {
    const cert = new X509Certificate(readFileSync(join(dataDir, 'pki', 'server.pem')));
    return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  };
  return s;
}

export async function launchChromium(chromium, args, spki, extra = []) {
  return chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`, ...extra,
    ],
  });
}

export async function waitFor(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export async function signIn(page, user, password = PASSWORD) {
  await page.getByLabel('Sign-in address').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid=connection][data-state=connected]').waitFor({ timeout: 20000 });
}

export const tab = (page, name) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();

export async function runSteps(steps, { out, contexts, onFailure }) {
  let failed = false;
  for (const s of steps) {
    const started = Date.now();
    try {
      await s.fn();
      console.log(`ok   ${s.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed = true;
      console.log(`FAIL ${s.name}\n     ${e.stack ?? e}`);
      for (const [i, c] of contexts.entries())
        for (const p of c.pages()) await p.screenshot({ path: join(out, `failure-${i}.png`) }).catch(() => {});
      await onFailure?.();
      if (!s.continueOnFailure) break;
    }
  }
  return failed;
}
