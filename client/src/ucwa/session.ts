// One signed-in UCWA session: the application, makeMeAvailable, the event channel (P-GET with
// `ack`, reconnect with back-off, `resync` and `resume`), presence, contacts, chat and history.
// Everything goes through the public UCWA API and follows links from the application resource.

import {
  NetworkError,
  UcwaError,
  dataUri,
  dataUriText,
  embedded,
  embeddedList,
  keyOf,
  linkOf,
  newId,
  request,
  str,
  type Resource,
} from './http';
import type { SignedIn } from './discovery';
import { CallController } from './calls';
import { PushClient, exposeDebug } from './push';
import type { ChatMessage, Contact, Conversation, Store } from '../store';

const PGET_TIMEOUT_MS = 200_000; // the server releases an empty P-GET after 180 s at most
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
const ACTIVITY_EVERY_MS = 3 * 60_000; // reportMyActivity at least every 4 minutes (UCWA.md §3.1)
const SUBSCRIPTION_MINUTES = 30;

export type HistoryEntry = {
  href: string;
  transcriptsHref: string;
  markAsReadHref?: string;
  with: string[];
  preview: string;
  status: string; // Archived | Missed
  type: string; // Message | AudioLog | VideoLog
  duration: number; // seconds, calls only
  isRead: boolean;
  at: number;
  subject: string;
  threadId: string;
};

export type TranscriptLine = { at: number; from: string; mine: boolean; text: string; html?: string };

function ucwaDate(v: unknown): number {
  const m = /Date\((-?\d+)/.exec(str(v));
  return m ? Number(m[1]) : Date.now();
}

function reasonText(reason: Resource | undefined, fallback: string): string {
  switch (str(reason?.subcode)) {
    case 'Declined': return 'Not delivered: the invitation was declined.';
    case 'NoAnswer': return 'Not delivered: nobody answered.';
    case 'DestinationNotFound': return 'Not delivered: there is no such person.';
    case 'TemporarilyUnavailable': return 'Not delivered: the person is not signed in.';
    case 'ConversationEnded': return 'Not delivered: the conversation has ended.';
    default: return str(reason?.message) ? `Not delivered: ${str(reason?.message)}` : fallback;
  }
}

export class Session {
  private app: Resource = {};
  private appUrl = '';
  private eventsHref = '';
  private running = false;
  private pget?: AbortController;
  private wake?: () => void;
  private attempt = 0;
  private activityTimer?: ReturnType<typeof setInterval>;
  private subscriptionHref?: string;
  private subscriptionTimer?: ReturnType<typeof setInterval>;
  private typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private lastTypingSent = new Map<string, number>();
  private readonly onOnline = () => this.wakeNow();
  private readonly onOffline = () => {
    if (!this.running) return;
    this.store.set({ connection: 'reconnecting' });
    this.pget?.abort();
  };

  constructor(
    readonly signedIn: SignedIn,
    private readonly store: Store,
    private readonly onEnded: (notice: string) => void,
  ) {
    this.calls = new CallController(store, (m, h, o) => this.call(m, h, o), () => this.communication(), (k, n) => this.nameOf(k, n));
    this.push = new PushClient((m, h, o) => this.call(m, h, o));
    // Tests put the app "in the background": no event channel until the page reloads.
    exposeDebug({ push: this.push, pauseEvents: () => { this.running = false; this.pget?.abort(); } });
  }

  readonly calls: CallController;
  readonly push: PushClient;

  // ---- life cycle ---------------------------------------------------------------------------

  async start(): Promise<void> {
    this.running = true;
    this.store.set({ connection: 'connecting', user: this.signedIn.user });
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    await this.createApplication();
    void this.eventLoop();
  }

  async signOut(): Promise<void> {
    const url = this.appUrl;
    this.stop();
    if (url) {
      await this.push.detach();
      try {
        await request('DELETE', url, { token: this.signedIn.token, timeoutMs: 5000 });
      } catch {
        // Signed out locally either way; the server expires the application.
      }
    }
  }

  stop(): void {
    this.running = false;
    this.pget?.abort();
    this.wake?.();
    clearInterval(this.activityTimer);
    clearInterval(this.subscriptionTimer);
    this.calls.stop();
    for (const t of this.typingTimers.values()) clearTimeout(t);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
  }

  private url(href: string): string {
    return new URL(href, this.appUrl || this.signedIn.applicationsUrl).toString();
  }

  private call(method: string, href: string, o: Parameters<typeof request>[2] = {}) {
    return request(method, this.url(href), { token: this.signedIn.token, ...o });
  }

  private async createApplication(): Promise<void> {
    const body = {
      culture: navigator.language || 'en-US',
      endpointId: newId(),
      userAgent: 'Parley Web/1.0',
      type: 'Browser',
    };
    const r = await request('POST', this.signedIn.applicationsUrl, {
      token: this.signedIn.token,
      body: JSON.stringify(body),
    });
    this.app = r.body ?? {};
    this.appUrl = new URL(linkOf(this.app, 'self') ?? '', this.signedIn.applicationsUrl).toString();
    this.eventsHref = linkOf(this.app, 'events') ?? '';
    const me = embedded(this.app, 'me');
    await this.call('POST', linkOf(me, 'makeMeAvailable') ?? '/me/makeMeAvailable', {
      body: JSON.stringify({ SupportedModalities: ['Messaging', 'AudioVideo'], SupportedMessageFormats: ['Plain', 'Html'] }),
    });
    await this.calls.attach(linkOf(this.app, 'reportMyNetwork')); // before anyone calls: the policy goes by it
    void this.push.attach(linkOf(this.app, 'pushNotificationRegistration')); // again on every start
    clearInterval(this.activityTimer);
    this.activityTimer = setInterval(() => void this.reportActivity(), ACTIVITY_EVERY_MS);
    await this.loadState();
  }

  // Everything the screens show, read from the server (first start, resync, new application).
  private async loadState(): Promise<void> {
    const me = embedded(this.app, 'me');
    const base = linkOf(me, 'self') ?? '';
    const [presence, note] = await Promise.all([
      this.call('GET', base + '/presence').catch(() => null),
      this.call('GET', base + '/note').catch(() => null),
    ]);
    this.store.set(() => ({
      me: {
        uri: str(me?.uri),
        name: str(me?.name) || keyOf(str(me?.uri)),
        availability: str(presence?.body?.availability) || 'Online',
        note: str(note?.body?.message),
      },
    }));
    await Promise.all([this.loadContacts(), this.loadMissed()]);
  }

  private people(): Resource | undefined {
    return embedded(this.app, 'people');
  }

  private communication(): Resource | undefined {
    return embedded(this.app, 'communication');
  }

  async loadContacts(): Promise<void> {
    const href = linkOf(this.people(), 'myContacts');
    if (!href) return;
    const r = await this.call('GET', href);
    const old = new Map(this.store.state.contacts.map((c) => [c.key, c]));
    const contacts: Contact[] = embeddedList(r.body ?? undefined, 'contact').map((c) => {
      const key = keyOf(str(c.uri));
      return {
        key,
        name: str(c.name) || key,
        title: str(c.title),
        department: str(c.department),
        availability: old.get(key)?.availability ?? 'Unknown',
        note: old.get(key)?.note ?? '',
      };
    });
    contacts.sort((a, b) => a.name.localeCompare(b.name));
    this.store.set({ contacts });
    await this.subscribePresence(contacts.map((c) => c.key));
  }

  private async subscribePresence(keys: string[]): Promise<void> {
    if (this.subscriptionHref) {
      const old = this.subscriptionHref;
      this.subscriptionHref = undefined;
      await this.call('DELETE', old).catch(() => undefined);
    }
    clearInterval(this.subscriptionTimer);
    if (!keys.length) return;
    const href = linkOf(this.people(), 'presenceSubscriptions');
    if (!href) return;
    const r = await this.call('POST', href, {
      body: JSON.stringify({ duration: SUBSCRIPTION_MINUTES, uris: keys.map((k) => 'sip:' + k) }),
    });
    this.subscriptionHref = r.headers.get('Location') ?? linkOf(r.body ?? undefined, 'self');
    // Present presence now; later changes come as events.
    await Promise.all(
      keys.map(async (k) => {
        const [p, n] = await Promise.all([
          this.call('GET', `${linkOf(this.people(), 'self')}/${encodeURIComponent(k)}/presence`).catch(() => null),
          this.call('GET', `${linkOf(this.people(), 'self')}/${encodeURIComponent(k)}/note`).catch(() => null),
        ]);
        this.patchContact(k, {
          ...(p?.body ? { availability: str(p.body.availability) || 'Offline' } : {}),
          ...(n?.body ? { note: str(n.body.message) } : {}),
        });
      }),
    );
    this.subscriptionTimer = setInterval(() => {
      if (this.subscriptionHref)
        void this.call('POST', this.subscriptionHref, { body: JSON.stringify({ duration: SUBSCRIPTION_MINUTES }) }).catch(
          () => this.loadContacts().catch(() => undefined),
        );
    }, (SUBSCRIPTION_MINUTES - 5) * 60_000);
  }

  private patchContact(key: string, patch: Partial<Contact>): void {
    this.store.set((s) => ({ contacts: s.contacts.map((c) => (c.key === key ? { ...c, ...patch } : c)) }));
  }

  private async loadMissed(): Promise<void> {
    const href = linkOf(this.communication(), 'missedItems');
    if (!href) return;
    const r = await this.call('GET', href).catch(() => null);
    if (r?.body) this.store.set({ missed: Number(r.body.unreadMissedConversationsCount ?? 0) });
  }

  private async reportActivity(): Promise<void> {
    const href = linkOf(embedded(this.app, 'me'), 'self');
    if (href) await this.call('POST', href + '/reportMyActivity').catch(() => undefined);
  }

  // ---- event channel --------------------------------------------------------------------------

  private wakeNow(): void {
    this.attempt = 0;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async eventLoop(): Promise<void> {
    while (this.running) {
      this.pget = new AbortController();
      try {
        const r = await this.call('GET', this.eventsHref, { signal: this.pget.signal, timeoutMs: PGET_TIMEOUT_MS });
        if (!this.running) return;
        this.attempt = 0;
        this.store.set({ connection: 'connected' });
        await this.handlePackage(r.body ?? {});
      } catch (e) {
        if (!this.running) return;
        if (e instanceof UcwaError) {
          if (e.status === 409 && e.subcode === 'PGetReplaced') continue;
          if (e.status === 401 || e.status === 403) {
            this.end('You were signed out by the server (the account may have been disabled, or the session revoked).');
            return;
          }
          if (e.status === 404 || e.status === 410) {
            // The application expired (e.g. a long time offline): start a new one.
            if (await this.recreate()) continue;
            return;
          }
        }
        this.store.set({ connection: 'reconnecting' });
        const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] * (0.8 + Math.random() * 0.4);
        this.attempt++;
        await this.sleep(delay); // an `online` event cuts the wait short
      }
    }
  }

  private async recreate(): Promise<boolean> {
    try {
      this.store.set((s) => ({
        connection: 'reconnecting',
        conversations: s.conversations.map((c) => this.ended(c)),
      }));
      await this.createApplication();
      return true;
    } catch (e) {
      if (e instanceof UcwaError && (e.status === 401 || e.status === 403)) {
        this.end('Your session has ended. Sign in again.');
        return false;
      }
      await this.sleep(BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]);
      return this.running;
    }
  }

  private end(notice: string): void {
    this.stop();
    this.onEnded(notice);
  }

  private ended(c: Conversation): Conversation {
    return {
      ...c,
      href: undefined,
      state: c.state === 'New' ? 'New' : 'Disconnected',
      sendHref: undefined,
      typingHref: undefined,
      stopHref: undefined,
      typing: false,
    };
  }

  private async handlePackage(pkg: Resource): Promise<void> {
    const resync = linkOf(pkg, 'resync');
    if (resync) {
      // State was lost: start from the first unacknowledged package and read everything again.
      this.eventsHref = resync;
      this.store.set((s) => ({ conversations: s.conversations.map((c) => this.ended(c)) }));
      await this.loadState().catch(() => undefined);
      return;
    }
    const next = linkOf(pkg, 'next') ?? linkOf(pkg, 'resume');
    if (linkOf(pkg, 'resume')) void this.loadContacts().catch(() => undefined); // subscriptions were reset
    const senders = (pkg.sender ?? []) as Resource[];
    for (const sender of senders) {
      for (const ev of (sender.events ?? []) as Resource[]) {
        try {
          this.handleEvent(str(sender.rel), str(sender.href), ev);
        } catch (e) {
          console.warn('event not understood', ev, e);
        }
      }
    }
    if (next) this.eventsHref = next;
  }

  private handleEvent(senderRel: string, senderHref: string, ev: Resource): void {
    const l = (ev.link ?? {}) as { rel?: string; href?: string };
    const rel = l.rel ?? '';
    const href = l.href ?? '';
    const type = str(ev.type);
    const body = embedded(ev, rel);
    const inRel = str((ev.in as Resource | undefined)?.rel);
    if (this.calls.handle(senderHref, ev)) return;
    switch (rel) {
      case 'presence':
        if (senderRel === 'me' && body) this.store.set((s) => ({ me: { ...s.me, availability: str(body.availability) } }));
        return;
      case 'note':
        if (senderRel === 'me' && body) this.store.set((s) => ({ me: { ...s.me, note: str(body.message) } }));
        return;
      case 'contactPresence':
      case 'contactNote': {
        const m = /\/people\/([^/]+)\/(presence|note)$/.exec(href);
        if (!m || !body) return;
        const key = decodeURIComponent(m[1]);
        this.patchContact(key, rel === 'contactPresence' ? { availability: str(body.availability) } : { note: str(body.message) });
        return;
      }
      case 'contact':
        if (inRel === 'myContacts') void this.loadContacts().catch(() => undefined);
        return;
      case 'missedItems':
        if (body) this.store.set({ missed: Number(body.unreadMissedConversationsCount ?? 0) });
        return;
      case 'messagingInvitation':
        this.onInvitation(type, href, body, ev);
        return;
      case 'conversation':
        if (type === 'deleted') this.onConversationGone(href);
        return;
      case 'messaging':
        if (body) this.onMessaging(senderHref, body);
        return;
      case 'message':
        this.onMessage(senderHref, href, body, ev);
        return;
      case 'participant':
        if (inRel === 'typingParticipants') this.setTyping(senderHref, type === 'added');
        else if (type === 'added' && body) {
          const c = this.byHref(senderHref);
          if (c && keyOf(str(body.uri)) === c.peer)
            this.store.updateConversation(c.id, (x) => ({ ...x, peerName: this.nameOf(x.peer, str(body.name), x.peerName) }));
        }
        return;
    }
  }

  // A participant's name is sometimes only her address: a contact's display name is better.
  private nameOf(key: string, offered: string, known = ''): string {
    const plain = offered && keyOf(offered) !== key ? offered : '';
    if (plain) return plain;
    if (known && known !== key) return known;
    return this.store.state.contacts.find((x) => x.key === key)?.name || key;
  }

  private byHref(href: string): Conversation | undefined {
    return this.store.state.conversations.find((c) => c.href === href);
  }

  private onInvitation(type: string, _href: string, inv: Resource | undefined, ev: Resource): void {
    if (!inv) return;
    const convHref = linkOf(inv, 'conversation') ?? '';
    if (str(inv.direction) === 'Incoming') {
      if (type !== 'started') return;
      const from = embedded(inv, 'from');
      const peer = keyOf(str(from?.uri));
      const peerName = this.nameOf(peer, str(from?.name));
      const first = linkOf(inv, 'message');
      const firstMsg: ChatMessage[] = first
        ? [{ id: convHref + '/messaging/messages/1', dir: 'in', text: dataUriText(first), at: Date.now(), status: 'sent' }]
        : [];
      if (first && first.startsWith('data:text/html')) firstMsg[0].html = firstMsg[0].text;
      this.store.set((s) => {
        // One chat per person on screen: a new invitation from someone continues her chat.
        const existing = s.conversations.find((c) => c.peer === peer && c.state !== 'Connected' && c.state !== 'Connecting');
        const unread = s.activeConversation && existing && s.activeConversation === existing.id ? 0 : firstMsg.length;
        if (existing) {
          return {
            conversations: s.conversations.map((c) =>
              c.id === existing.id
                ? { ...c, href: convHref, threadId: str(inv.threadId), state: 'Connecting', peerName, messages: [...c.messages, ...firstMsg], unread: c.unread + unread, updated: Date.now(), failure: undefined }
                : c,
            ),
          };
        }
        const conv: Conversation = {
          id: newId(), href: convHref, threadId: str(inv.threadId), peer, peerName, state: 'Connecting', messages: firstMsg, typing: false,
          unread: firstMsg.length, outbox: [], updated: Date.now(),
        };
        return { conversations: [conv, ...s.conversations] };
      });
      const accept = linkOf(inv, 'accept');
      if (accept) void this.call('POST', accept, { body: '{}' }).catch(() => undefined);
      return;
    }
    // Our own invitation.
    const op = str(inv.operationId);
    const c = this.store.state.conversations.find((x) => x.inviteOp && x.inviteOp === op);
    if (!c) return;
    if (type === 'started') {
      this.store.updateConversation(c.id, (x) => ({ ...x, href: convHref, threadId: str(inv.threadId) }));
    } else if (type === 'completed') {
      const ok = str(ev.status) === 'Success';
      const failure = ok ? undefined : reasonText(ev.reason as Resource | undefined, 'Not delivered.');
      this.store.updateConversation(c.id, (x) => ({
        ...x,
        inviteOp: undefined,
        state: ok ? x.state : 'Failed',
        failure,
        messages: x.messages.map((m) =>
          m.opId === op ? { ...m, status: ok ? 'sent' : 'failed', failure } : !ok && m.status === 'sending' ? { ...m, status: 'failed', failure } : m,
        ),
        outbox: ok ? x.outbox : [],
      }));
    }
  }

  private onConversationGone(href: string): void {
    const c = this.byHref(href);
    if (c) this.store.updateConversation(c.id, (x) => this.ended(x));
  }

  private onMessaging(convHref: string, m: Resource): void {
    const c = this.byHref(convHref) ?? this.byHref(linkOf(m, 'conversation') ?? '');
    if (!c) return;
    const state = str(m.state);
    if (state === 'Connected') {
      this.store.updateConversation(c.id, (x) => ({
        ...x,
        state: 'Connected',
        sendHref: linkOf(m, 'sendMessage'),
        typingHref: linkOf(m, 'setIsTyping'),
        stopHref: linkOf(m, 'stopMessaging'),
      }));
      void this.flush(c.id);
    } else if (state === 'Disconnected') {
      this.store.updateConversation(c.id, (x) => this.ended(x));
    }
  }

  private onMessage(convHref: string, href: string, m: Resource | undefined, ev: Resource): void {
    const c = this.byHref(convHref);
    if (!c || !m) return;
    if (str(m.direction) === 'Outgoing') {
      const op = str(m.operationId);
      const ok = str(ev.status) !== 'Failed';
      const failure = ok ? undefined : reasonText(ev.reason as Resource | undefined, 'Not delivered.');
      if (op)
        this.store.updateConversation(c.id, (x) => ({
          ...x,
          messages: x.messages.map((msg) => (msg.opId === op ? { ...msg, id: href, status: ok ? 'sent' : 'failed', failure } : msg)),
        }));
      return;
    }
    if (c.messages.some((x) => x.id === href)) return; // already shown (first message, or resent)
    const html = linkOf(m, 'htmlMessage');
    const plain = linkOf(m, 'plainMessage');
    const msg: ChatMessage = {
      id: href,
      dir: 'in',
      text: plain ? dataUriText(plain) : html ? dataUriText(html) : '',
      html: html ? dataUriText(html) : undefined,
      at: ucwaDate(m.timeStamp),
      status: 'sent',
    };
    this.clearTyping(c.id);
    if (this.store.state.activeConversation === c.id) this.scheduleReadSync(c.id);
    this.store.set((s) => ({
      conversations: s.conversations.map((x) =>
        x.id === c.id
          ? { ...x, typing: false, messages: [...x.messages, msg], unread: s.activeConversation === x.id ? 0 : x.unread + 1, updated: Date.now() }
          : x,
      ),
    }));
  }

  private setTyping(convHref: string, typing: boolean): void {
    const c = this.byHref(convHref);
    if (!c) return;
    this.clearTyping(c.id);
    if (typing) this.typingTimers.set(c.id, setTimeout(() => this.store.updateConversation(c.id, (x) => ({ ...x, typing: false })), 20000));
    this.store.updateConversation(c.id, (x) => ({ ...x, typing }));
  }

  private clearTyping(id: string): void {
    const t = this.typingTimers.get(id);
    if (t) clearTimeout(t);
    this.typingTimers.delete(id);
  }

  // ---- actions ----------------------------------------------------------------------------------

  async setAvailability(availability: string): Promise<void> {
    const href = linkOf(embedded(this.app, 'me'), 'self');
    await this.call('POST', href + '/presence', { body: JSON.stringify({ availability }) });
    this.store.set((s) => ({ me: { ...s.me, availability } }));
  }

  async setNote(message: string): Promise<void> {
    const href = linkOf(embedded(this.app, 'me'), 'self');
    await this.call('POST', href + '/note', { body: JSON.stringify({ message }) });
    this.store.set((s) => ({ me: { ...s.me, note: message } }));
  }

  async search(query: string): Promise<Contact[]> {
    const href = linkOf(this.people(), 'search');
    if (!href || !query.trim()) return [];
    const r = await this.call('GET', `${href}?query=${encodeURIComponent(query.trim())}&limit=20`);
    return embeddedList(r.body ?? undefined, 'contact').map((c) => ({
      key: keyOf(str(c.uri)),
      name: str(c.name) || keyOf(str(c.uri)),
      title: str(c.title),
      department: str(c.department),
      availability: 'Unknown',
      note: '',
    }));
  }

  async addContact(key: string): Promise<void> {
    const href = linkOf(this.people(), 'myGroupMemberships');
    if (!href) return;
    await this.call('POST', `${href}?contactUri=${encodeURIComponent('sip:' + key)}`);
    await this.loadContacts();
  }

  // The conversation with `peer` to show: the live one, or a new local one.
  openChat(peer: string, peerName: string): string {
    const s = this.store.state;
    const live = s.conversations.find((c) => c.peer === peer && (c.state === 'Connected' || c.state === 'Connecting'));
    const any = live ?? s.conversations.find((c) => c.peer === peer);
    if (any) return any.id;
    const conv: Conversation = {
      id: newId(), peer, peerName, state: 'New', messages: [], typing: false, unread: 0, outbox: [], updated: Date.now(),
    };
    this.store.set({ conversations: [conv, ...s.conversations] });
    return conv.id;
  }

  markRead(id: string | undefined): void {
    const c = id ? this.store.state.conversations.find((x) => x.id === id) : undefined;
    if (c && c.messages.some((m) => m.dir === 'in')) this.scheduleReadSync(c.id);
    this.store.set((s) => ({
      activeConversation: id,
      conversations: id ? s.conversations.map((c) => (c.id === id && c.unread ? { ...c, unread: 0 } : c)) : s.conversations,
    }));
  }

  async send(id: string, text: string): Promise<void> {
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (!c || !text.trim()) return;
    const opId = newId();
    const msg: ChatMessage = { id: 'local-' + opId, dir: 'out', text, at: Date.now(), status: 'sending', opId };
    if (c.state === 'Connected' && c.sendHref) {
      this.store.updateConversation(id, (x) => ({ ...x, messages: [...x.messages, msg], updated: Date.now() }));
      await this.post(id, msg);
    } else if (c.state === 'Connecting') {
      this.store.updateConversation(id, (x) => ({ ...x, messages: [...x.messages, msg], outbox: [...x.outbox, msg.id], updated: Date.now() }));
    } else {
      // New, ended or failed: invite again with this as the first message.
      this.store.updateConversation(id, (x) => ({
        ...x, messages: [...x.messages, msg], state: 'Connecting', inviteOp: opId, failure: undefined, outbox: [], updated: Date.now(),
      }));
      try {
        await this.call('POST', linkOf(this.communication(), 'startMessaging') ?? '', {
          body: JSON.stringify({ to: 'sip:' + c.peer, importance: 'Normal', operationId: opId, message: dataUri(text) }),
        });
      } catch (e) {
        this.failMessage(id, msg.id, e);
        this.store.updateConversation(id, (x) => ({ ...x, state: 'Failed', inviteOp: undefined }));
      }
    }
  }

  async retry(id: string, messageId: string): Promise<void> {
    const c = this.store.state.conversations.find((x) => x.id === id);
    const m = c?.messages.find((x) => x.id === messageId);
    if (!c || !m) return;
    this.store.updateConversation(id, (x) => ({ ...x, messages: x.messages.filter((y) => y.id !== messageId) }));
    await this.send(id, m.text);
  }

  private async post(id: string, msg: ChatMessage): Promise<void> {
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (!c?.sendHref) return this.failMessage(id, msg.id, new Error('not connected'));
    try {
      await this.call('POST', `${c.sendHref}?operationId=${msg.opId}`, { body: msg.text, contentType: 'text/plain; charset=utf-8' });
      this.store.updateConversation(id, (x) => ({
        ...x,
        messages: x.messages.map((m) => (m.id === msg.id && m.status === 'sending' ? { ...m, status: 'sent' } : m)),
      }));
    } catch (e) {
      this.failMessage(id, msg.id, e);
      if (e instanceof UcwaError && e.status === 410) this.store.updateConversation(id, (x) => this.ended(x));
    }
  }

  private failMessage(id: string, messageId: string, e: unknown): void {
    let failure = 'Not delivered.';
    if (e instanceof UcwaError) failure = reasonText({ subcode: e.subcode, message: e.message }, 'Not delivered.');
    else if (e instanceof NetworkError) failure = 'Not delivered: no connection.';
    this.store.updateConversation(id, (x) => ({
      ...x,
      messages: x.messages.map((m) => (m.id === messageId ? { ...m, status: 'failed', failure } : m)),
    }));
  }

  private async flush(id: string): Promise<void> {
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (!c || !c.outbox.length) return;
    const waiting = c.outbox;
    this.store.updateConversation(id, (x) => ({ ...x, outbox: [] }));
    for (const mid of waiting) {
      const m = this.store.state.conversations.find((x) => x.id === id)?.messages.find((y) => y.id === mid);
      if (m) await this.post(id, m);
    }
  }

  typing(id: string): void {
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (!c?.typingHref) return;
    const last = this.lastTypingSent.get(id) ?? 0;
    if (Date.now() - last < 3000) return;
    this.lastTypingSent.set(id, Date.now());
    void this.call('POST', c.typingHref).catch(() => undefined);
  }

  async leave(id: string): Promise<void> {
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (c?.stopHref) await this.call('POST', c.stopHref).catch(() => undefined);
    this.store.updateConversation(id, (x) => this.ended(x));
  }

  // What is read on this device is read on all of them: the conversation's history entry
  // (found by threadId) is marked read, shortly after the last message shown.
  private readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private scheduleReadSync(id: string): void {
    clearTimeout(this.readTimers.get(id));
    this.readTimers.set(id, setTimeout(() => void this.syncRead(id).catch(() => undefined), 800));
  }

  private async syncRead(id: string): Promise<void> {
    this.readTimers.delete(id);
    const c = this.store.state.conversations.find((x) => x.id === id);
    if (!c?.threadId || !this.running) return;
    const { entries } = await this.history();
    const entry = entries.find((e) => e.threadId === c.threadId);
    if (entry && !entry.isRead && entry.markAsReadHref) await this.markHistoryRead(entry.markAsReadHref);
  }

  // ---- history ------------------------------------------------------------------------------

  async history(pageHref?: string): Promise<{ entries: HistoryEntry[]; next?: string }> {
    const href = pageHref ?? `${linkOf(this.communication(), 'conversationLogs')}?limit=20`;
    const r = await this.call('GET', href);
    const entries = embeddedList(r.body ?? undefined, 'conversationLog').map((l) => {
      const recipients = (l._links?.conversationLogRecipient ?? []) as { title?: string }[];
      return {
        href: linkOf(l, 'self') ?? '',
        transcriptsHref: linkOf(l, 'conversationLogTranscripts') ?? '',
        markAsReadHref: linkOf(l, 'markAsRead'),
        with: (Array.isArray(recipients) ? recipients : [recipients]).map((x) => x.title ?? ''),
        preview: str(l.previewMessage),
        status: str(l.status),
        type: str(l.type) || 'Message',
        duration: Number(l.duration ?? 0),
        isRead: l.isRead !== false,
        at: ucwaDate(l.creationTime),
        subject: str(l.subject),
        threadId: str(l.threadId),
      };
    });
    return { entries, next: linkOf(r.body ?? undefined, 'next') };
  }

  async transcripts(href: string): Promise<{ lines: TranscriptLine[]; next?: string }> {
    const r = await this.call('GET', href.includes('limit=') ? href : `${href}${href.includes('?') ? '&' : '?'}limit=20`);
    const lines = embeddedList(r.body ?? undefined, 'conversationLogTranscript').map((t) => {
      const content = embedded(t, 'messageTranscript');
      const html = linkOf(content, 'htmlMessage');
      const plain = linkOf(content, 'plainMessage');
      const contact = t._links?.contact as { title?: string } | undefined;
      return {
        at: ucwaDate(t.timeStamp),
        mine: !!t._links?.me,
        from: t._links?.me ? 'You' : contact?.title ?? '',
        text: plain ? dataUriText(plain) : '',
        html: html ? dataUriText(html) : undefined,
      };
    });
    return { lines, next: linkOf(r.body ?? undefined, 'nextConversationLogTranscripts') };
  }

  async markHistoryRead(href: string): Promise<void> {
    await this.call('POST', href);
    await this.loadMissed();
  }
}
