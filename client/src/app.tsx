import { useEffect, useMemo, useState } from 'preact/hooks';
import { Store, unreadTotal, useStore, type Contact } from './store';
import { Session, type HistoryEntry } from './ucwa/session';
import { SignInError, signIn, type SignedIn } from './ucwa/discovery';
import { SignIn } from './ui/signin';
import { Contacts, MyPresence } from './ui/people';
import { Chat, ConversationList } from './ui/chat';
import { History, Transcript } from './ui/history';
import { Badge, PresenceDot, Screen, availabilityLabel } from './ui/common';
import { CallScreen } from './ui/call';
import { localChatId, onOpenRequests, usePush } from './ucwa/push';

const SAVED = 'parley.signedIn';

function route(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function go(...parts: string[]): void {
  location.hash = '#/' + parts.map(encodeURIComponent).join('/');
}

const CONNECTION_TEXT: Record<string, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  'signing-in': 'Signing in…',
  'signed-out': 'Signed out',
};

export function App() {
  const store = useMemo(() => new Store(), []);
  const state = useStore(store);
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [path, setPath] = useState(route());
  const [entry, setEntry] = useState<HistoryEntry | null>(null);
  const push = usePush(session?.push);

  useEffect(() => {
    const onHash = () => setPath(route());
    window.addEventListener('hashchange', onHash);
    const stopOpen = onOpenRequests((r) => (location.hash = r)); // a tapped notification
    return () => {
      window.removeEventListener('hashchange', onHash);
      stopOpen();
    };
  }, []);

  const ended = (notice: string) => {
    sessionStorage.removeItem(SAVED);
    setSession(null);
    store.set({ connection: 'signed-out', notice, contacts: [], conversations: [], missed: 0 });
  };

  const begin = async (signed: SignedIn) => {
    const s = new Session(signed, store, ended);
    setSession(s);
    try {
      await s.start();
      sessionStorage.setItem(SAVED, JSON.stringify(signed));
      if (!route().length) go('contacts');
    } catch (e) {
      s.stop();
      setSession(null);
      sessionStorage.removeItem(SAVED);
      store.set({ connection: 'signed-out' });
      setError(e instanceof Error && e.message ? `Signed in, but the session could not start: ${e.message}` : 'The session could not start.');
    }
  };

  // A reload keeps the session while the token is good.
  useEffect(() => {
    const saved = sessionStorage.getItem(SAVED);
    if (!saved) return;
    try {
      const s = JSON.parse(saved) as SignedIn;
      if (s.expiresAt > Date.now() + 60_000) void begin(s);
    } catch {
      sessionStorage.removeItem(SAVED);
    }
  }, []);

  const onSignIn = async (user: string, password: string) => {
    setError(undefined);
    store.set({ connection: 'signing-in', notice: undefined });
    try {
      const signed = await signIn(user, password);
      await begin(signed);
    } catch (e) {
      store.set({ connection: 'signed-out' });
      setError(e instanceof SignInError ? e.message : 'Sign-in failed. Try again.');
    }
  };

  if (!session || state.connection === 'signed-out' || state.connection === 'signing-in') {
    return (
      <SignIn onSignIn={(u, p) => void onSignIn(u, p)} busy={state.connection === 'signing-in' || (!!session && state.connection !== 'signed-out')}
        error={error} notice={state.notice} />
    );
  }

  const nameOf = (key: string) => state.contacts.find((c) => c.key === key)?.name ?? key;
  const openChat = (c: Contact) => go('chat', session.openChat(c.key, c.name));
  const [view, arg] = path;
  let screen;
  switch (view) {
    case 'chat':
      screen = <Chat state={state} session={session} id={localChatId(state.conversations, arg ?? '')} back={() => go('chats')} />;
      break;
    case 'chats':
      screen = <ConversationList state={state} open={(id) => go('chat', id)} />;
      break;
    case 'history':
      screen = arg && entry ? (
        <Transcript session={session} entry={entry} back={() => go('history')} nameOf={nameOf} />
      ) : (
        <History session={session} nameOf={nameOf} open={(e) => { setEntry(e); go('history', e.href); }} />
      );
      break;
    case 'me':
      screen = <MyPresence state={state} session={session} />;
      break;
    case 'settings':
      screen = (
        <Screen title="Settings">
          <p>Signed in as <strong data-testid="signed-in-as">{state.user}</strong>.</p>
          <p class="sub">Connection: {CONNECTION_TEXT[state.connection]}</p>
          <label class="switch">
            <input type="checkbox" data-testid="push-toggle" checked={push.enabled} disabled={!push.available || push.busy}
              onChange={(e) => void (e.currentTarget.checked ? session.push.enable() : session.push.disable())} />
            {' '}Notifications when Parley is in the background
          </label>
          {push.problem && <p class="sub" data-testid="push-problem">{push.problem}</p>}
          <button type="button" class="danger" onClick={() => {
            void session.signOut().finally(() => {
              sessionStorage.removeItem(SAVED);
              setSession(null);
              store.set({ connection: 'signed-out', notice: 'You are signed out.', contacts: [], conversations: [], missed: 0 });
              go();
            });
          }}>Sign out</button>
        </Screen>
      );
      break;
    default:
      screen = <Contacts state={state} session={session} openChat={openChat} />;
  }
  const unread = unreadTotal(state);
  const tab = (name: string, label: string, extra?: preact.ComponentChildren) => (
    <a href={`#/${name}`} class={view === name || (name === 'chats' && view === 'chat') || (!view && name === 'contacts') ? 'tab active' : 'tab'}
      aria-current={view === name ? 'page' : undefined}>
      {label}{extra}
    </a>
  );
  return (
    <div class={`shell conn-${state.connection}`}>
      <header class="topbar">
        <span class="brand">Parley</span>
        <a class="me-chip" href="#/me" aria-label={`My status: ${availabilityLabel(state.me.availability)}`}>
          <PresenceDot availability={state.me.availability} />
          <span class="me-name">{state.me.name}</span>
        </a>
        <span class={`conn conn-${state.connection}`} role="status" data-testid="connection" data-state={state.connection}>
          {CONNECTION_TEXT[state.connection]}
        </span>
      </header>
      <nav class="tabs" aria-label="Main">
        {tab('contacts', 'Contacts')}
        {tab('chats', 'Chats', <Badge count={unread} label="unread or missed" />)}
        {tab('history', 'History', <Badge count={state.missed} label="missed" testid="missed-badge" />)}
        {tab('me', 'Status')}
        {tab('settings', 'Settings')}
      </nav>
      <main class="content">{screen}</main>
      {state.call && <CallScreen call={state.call} calls={session.calls} />}
    </div>
  );
}
