// Parley web client service worker: keeps the app shell of one build available offline.
// It never caches API answers: anything not in SHELL goes to the network untouched.
const SHELL = __SHELL_FILES__;
const VERSION = __SHELL_VERSION__;
const CACHE = 'parley-shell-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('parley-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html') && !url.search) {
    // The newest shell when online; the cached one in a tunnel.
    event.respondWith(
      fetch(request).catch(() => caches.match('/index.html').then((r) => r || Response.error())),
    );
    return;
  }
  if (!SHELL.includes(url.pathname) || url.pathname === '/index.html') return;
  event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
});
