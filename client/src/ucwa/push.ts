// Notifications while Parley is in the background: the browser's Web Push subscription registered
// with the server through the application's `pushNotificationRegistration` link (Parley's
// extension, UCWA.md §5.10). The server pushes only while this application has no event channel
// open; the service worker (sw/sw.js) shows what arrives and routes a tap to the right screen.
//
// Registration happens on every application start when the server offers "webpush" and the user
// allowed notifications (the server replaces the registration of this endpoint, never duplicates
// it); signing out unregisters. The Settings switch turns it on (asking the browser's permission,
// which needs the tap) or off (remembered on this device).

import { useEffect, useState } from 'preact/hooks';
import { UcwaError, str, type Reply, type RequestOptions } from './http';
import type { Conversation } from '../store';

const OFF = 'parley.backgroundNotifications'; // "off" once the user switched notifications off here

type Call = (method: string, href: string, o?: RequestOptions) => Promise<Reply>;

export type PushStatus = {
  available: boolean; // this browser can, and the server offers Web Push to this user
  enabled: boolean; // registered with the server for this application
  busy: boolean;
  problem?: string; // why it is unavailable or why turning it on failed, for the Settings screen
};

// The subscription as PushSubscription.toJSON() gives it.
export type SubscriptionJson = { endpoint?: string; keys?: Record<string, string> };

function browserCanPush(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window && isSecureContext;
}

function bytesOf(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

// The service worker, or nothing when it does not come up (plain http, or it failed to install).
async function worker(): Promise<ServiceWorkerRegistration | undefined> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

export class PushClient {
  status: PushStatus = { available: false, enabled: false, busy: false };
  private href?: string;
  private vapidKey = '';
  private readonly listeners = new Set<() => void>();

  constructor(private readonly call: Call) {}

  // This application's registration resource, once the server has linked it.
  get link(): string | undefined {
    return this.href;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<PushStatus>): void {
    this.status = { ...this.status, ...patch };
    for (const l of this.listeners) l();
  }

  // Every new application: find out what the server offers and register again if allowed.
  async attach(href: string | undefined): Promise<void> {
    this.href = href;
    this.set({ enabled: false, problem: undefined });
    if (!href) return this.set({ available: false, problem: 'This server does not offer notifications.' });
    if (!browserCanPush()) return this.set({ available: false, problem: 'This browser cannot show notifications from Parley.' });
    try {
      const r = await this.call('GET', href);
      const providers = Array.isArray(r.body?.providers) ? (r.body?.providers as unknown[]) : [];
      this.vapidKey = str(r.body?.vapidPublicKey);
      if (!providers.includes('webpush') || !this.vapidKey)
        return this.set({ available: false, problem: 'Your administrator has not enabled notifications for you.' });
      this.set({ available: true });
      if (Notification.permission === 'granted' && localStorage.getItem(OFF) !== 'off') await this.register();
    } catch (e) {
      this.set({ available: false, problem: `Notifications are unavailable: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  // The Settings switch turned on (in the tap's handler: the permission prompt needs it).
  async enable(): Promise<void> {
    localStorage.removeItem(OFF);
    this.set({ busy: true, problem: undefined });
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        this.set({ problem: 'Notifications are blocked for this site in the browser settings.' });
        return;
      }
      await this.register();
    } finally {
      this.set({ busy: false });
    }
  }

  // The Settings switch turned off: unregistered here, and the browser's subscription dropped.
  async disable(): Promise<void> {
    localStorage.setItem(OFF, 'off');
    this.set({ busy: true, problem: undefined });
    try {
      await this.detach();
      const sub = await (await worker())?.pushManager.getSubscription();
      await sub?.unsubscribe().catch(() => false);
    } finally {
      this.set({ busy: false });
    }
  }

  // Sign-out: the server stops pushing to this device for this user.
  async detach(): Promise<void> {
    if (this.href && this.status.enabled)
      await this.call('DELETE', this.href, { allow: [404], timeoutMs: 5000 }).catch(() => undefined);
    this.set({ enabled: false });
  }

  private async register(): Promise<void> {
    try {
      const reg = await worker();
      if (!reg) throw new Error('the service worker is not running');
      const key = bytesOf(this.vapidKey);
      let sub = await reg.pushManager.getSubscription();
      if (sub && !sameKey(sub.options.applicationServerKey, key)) {
        // The server's key changed: a subscription for the old one would be refused.
        await sub.unsubscribe().catch(() => false);
        sub = null;
      }
      sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      await this.registerWith(sub.toJSON());
    } catch (e) {
      this.set({ enabled: false, problem: `Notifications could not be turned on: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  // Registers `subscription` with the server (also the browser tests' way in: headless Chromium
  // cannot reach a real push service, so the test makes the subscription itself).
  async registerWith(subscription: SubscriptionJson): Promise<void> {
    if (!this.href) throw new Error('no pushNotificationRegistration link');
    const body = {
      provider: 'webpush',
      subscription: { endpoint: subscription.endpoint, keys: { p256dh: subscription.keys?.p256dh, auth: subscription.keys?.auth } },
      deviceName: deviceName(),
      locale: navigator.language || 'en-US',
    };
    try {
      await this.call('POST', this.href, { body: JSON.stringify(body) });
      this.set({ enabled: true, problem: undefined });
    } catch (e) {
      const why = e instanceof UcwaError ? e.message : 'no connection';
      this.set({ enabled: false, problem: `The server did not accept this device: ${why}` });
      throw e;
    }
  }
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return `${browser}${os ? ' on ' + os : ''} (Parley Web)`;
}

export function usePush(push: PushClient | undefined): PushStatus {
  const [, redraw] = useState(0);
  useEffect(() => push?.onChange(() => redraw((n) => n + 1)), [push]);
  return push?.status ?? { available: false, enabled: false, busy: false };
}

// A tapped notification: the service worker asks an open window to show a route.
export function onOpenRequests(go: (route: string) => void): () => void {
  const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;
  const onMessage = (e: MessageEvent) => {
    const d = e.data as { type?: string; route?: string } | undefined;
    if (d?.type === 'parley-open' && typeof d.route === 'string' && d.route.startsWith('#/')) go(d.route);
  };
  sw?.addEventListener('message', onMessage);
  return () => sw?.removeEventListener('message', onMessage);
}

// `#/chat/<id>` from a notification names the server's conversation; on screen chats have local
// ids. Resolves to the local chat once the conversation is known (its events arrive as soon as
// the event channel is back), else leaves the id alone.
export function localChatId(conversations: Conversation[], id: string): string {
  if (conversations.some((c) => c.id === id)) return id;
  const marker = '/conversations/' + id;
  const c = conversations.find((x) => x.href && (x.href.endsWith(marker) || x.href.includes(marker + '/')));
  return c?.id ?? id;
}

// Debug hooks for diagnostics and the browser tests, beside the call diagnostics.
export function exposeDebug(hooks: Record<string, unknown>): void {
  const w = window as { parleyDebug?: Record<string, unknown> };
  w.parleyDebug = Object.assign(w.parleyDebug ?? {}, hooks);
}
