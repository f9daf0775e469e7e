import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Conversation, State } from '../store';
import type { Session } from '../ucwa/session';
import { messageBody, timeOf } from '../format';
import { Badge, PresenceDot, Screen, availabilityLabel } from './common';
import { CallButtons } from './call';

export function ConversationList({ state, open }: { state: State; open: (id: string) => void }) {
  const list = [...state.conversations].sort((a, b) => b.updated - a.updated);
  return (
    <Screen title="Chats">
      {list.length === 0 ? <p class="empty">No conversations yet. Open a contact to start one.</p> : (
        <ul class="list" data-testid="conversations">
          {list.map((c) => {
            const last = c.messages[c.messages.length - 1];
            return (
              <li key={c.id}>
                <button type="button" class="row row-button" onClick={() => open(c.id)} data-peer={c.peer}
                  aria-label={`Chat with ${c.peerName}${c.unread ? `, ${c.unread} unread` : ''}`}>
                  <span class="row-main">
                    <span class="name">{c.peerName}</span>
                    <span class="sub">{last ? (last.dir === 'out' ? 'You: ' : '') + last.text : stateText(c)}</span>
                  </span>
                  <Badge count={c.unread} label="unread" />
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Screen>
  );
}

function stateText(c: Conversation): string {
  switch (c.state) {
    case 'Connecting': return 'Connecting…';
    case 'Connected': return 'In conversation';
    case 'Failed': return c.failure ?? 'Could not start the conversation';
    case 'Disconnected': return 'Conversation ended; sending again starts a new one';
    default: return 'New conversation';
  }
}

export function Chat({ state, session, id, back }: { state: State; session: Session; id: string; back: () => void }) {
  const c = state.conversations.find((x) => x.id === id);
  const [text, setText] = useState('');
  const logRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    session.markRead(id);
    return () => session.markRead(undefined);
  }, [id, session]);
  useEffect(() => {
    if (c?.unread) session.markRead(id);
  }, [c?.unread, id, session]);
  useLayoutEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [c?.messages.length, c?.typing]);
  if (!c) return <Screen title="Chat"><p>This conversation is gone.</p></Screen>;
  const contact = state.contacts.find((x) => x.key === c.peer);
  const send = () => {
    const t = text;
    if (!t.trim()) return;
    setText('');
    void session.send(id, t);
  };
  return (
    <section class="screen chat" aria-labelledby="chat-title">
      <div class="chat-head">
        <button type="button" class="back" onClick={back} aria-label="Back to chats">‹</button>
        {contact && <PresenceDot availability={contact.availability} />}
        <div class="row-main">
          <h1 id="chat-title" tabIndex={-1}>{c.peerName}</h1>
          <span class="sub" data-testid="chat-state">{contact ? availabilityLabel(contact.availability) + ' · ' : ''}{stateText(c)}</span>
        </div>
        <CallButtons peer={c.peer} name={c.peerName} calls={session.calls} busy={!!state.call} />
        {c.state === 'Connected' && <button type="button" onClick={() => void session.leave(id)}>End</button>}
      </div>
      <ol class="messages" ref={logRef} role="log" aria-live="polite" aria-label={`Messages with ${c.peerName}`} data-testid="messages">
        {c.messages.map((m) => (
          <li key={m.id} class={`msg msg-${m.dir} msg-${m.status}`} data-status={m.status}>
            <div class="bubble">{messageBody(m.text, m.html)}</div>
            <div class="meta">
              <span class="visually-hidden">{m.dir === 'out' ? 'You' : c.peerName}, </span>
              <time>{timeOf(m.at)}</time>
              {m.status === 'sending' && <span> · sending…</span>}
              {m.status === 'failed' && (
                <span class="failure" role="alert">
                  {' '}· {m.failure ?? 'Not delivered.'}{' '}
                  <button type="button" class="link" onClick={() => void session.retry(id, m.id)}>Retry</button>
                </span>
              )}
            </div>
          </li>
        ))}
      </ol>
      <div class="typing" aria-live="polite" data-testid="typing">{c.typing ? `${c.peerName} is typing…` : ''}</div>
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <label for="composer-input" class="visually-hidden">Message to {c.peerName}</label>
        <textarea id="composer-input" rows={1} placeholder="Type a message" value={text} maxLength={20000}
          onInput={(e) => { setText(e.currentTarget.value); session.typing(id); }}
          onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } }} />
        <button type="submit" class="primary" disabled={!text.trim()}>Send</button>
      </form>
    </section>
  );
}
