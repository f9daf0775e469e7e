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

// ---- push notifications ------------------------------------------------------------------------
// Parley's Web Push payload (decrypted by the browser): {kind, title, body, conversation, from,
// badge, tag}. What the notification says is exactly what the server chose to send: unless the
// administrator allowed previews, no message text ever arrives here, so none is shown.

function routeFor(data) {
  const conversation = data && typeof data.conversation === 'string' ? data.conversation : '';
  switch (data && data.kind) {
    case 'message':
    case 'invitation':
      return conversation ? '#/chat/' + encodeURIComponent(conversation) : '#/chats';
    case 'missedCall':
    case 'missedItems':
      return '#/history';
    default:
      return '#/contacts';
  }
}

function setBadge(count) {
  if (typeof count !== 'number' || !self.navigator || !('setAppBadge' in self.navigator)) return Promise.resolve();
  const done = count > 0 ? self.navigator.setAppBadge(count) : self.navigator.clearAppBadge();
  return done.catch(() => undefined);
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const badge = setBadge(data.badge);
  if (data.kind === 'missedItems') {
    // Counts only: the badge changes, nothing pops up.
    event.waitUntil(badge);
    return;
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Parley';
  const options = {
    body: typeof data.body === 'string' ? data.body : '',
    icon: '/icons/icon-192.png',
    data: { conversation: data.conversation || '', kind: data.kind || '', from: data.from || '' },
  };
  if (typeof data.tag === 'string' && data.tag) {
    // A missed call replaces its ringing notification; the messages of a chat replace each other
    // but still alert.
    options.tag = data.tag;
    options.renotify = true;
  }
  if (data.kind === 'call') options.requireInteraction = true;
  event.waitUntil(Promise.all([badge, self.registration.showNotification(title, options)]));
});

// The app's window shows `route`: an open one is told to go there and focused, else a new one opens.
async function showApp(route) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (open) {
    open.postMessage({ type: 'parley-open', route });
    try {
      await open.focus();
    } catch {
      // Focus needs the click's permission; the route was delivered either way.
    }
    return open;
  }
  return self.clients.openWindow('/' + route);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(showApp(routeFor(event.notification.data)));
});
