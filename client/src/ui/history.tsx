import { useEffect, useState } from 'preact/hooks';
import type { HistoryEntry, Session, TranscriptLine } from '../ucwa/session';
import { dateTimeOf, messageBody, timeOf } from '../format';
import { Screen } from './common';
import { clock } from './call';

const call = (e: HistoryEntry) => e.type === 'AudioLog' || e.type === 'VideoLog';

function kindText(e: HistoryEntry): string {
  if (call(e)) return `${e.status === 'Missed' ? 'Missed ' : ''}${e.type === 'VideoLog' ? 'video call' : 'call'}`.replace(/^./, (x) => x.toUpperCase());
  return e.status === 'Missed' ? 'Missed conversation' : 'Conversation';
}

function callText(e: HistoryEntry): string {
  const what = e.type === 'VideoLog' ? 'Video call' : 'Call';
  if (e.status === 'Missed') return `Missed ${what.toLowerCase()}`;
  return `${what}, ${clock(e.duration)}`;
}

export function History({ session, open, nameOf }: { session: Session; open: (e: HistoryEntry) => void; nameOf: (key: string) => string }) {
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [problem, setProblem] = useState('');
  const [loading, setLoading] = useState(true);
  const load = (href?: string) => {
    setLoading(true);
    session.history(href).then(
      (r) => {
        setEntries((old) => (href ? [...old, ...r.entries] : r.entries));
        setNext(r.next);
        setProblem('');
      },
      () => setProblem('History could not be loaded.'),
    ).finally(() => setLoading(false));
  };
  useEffect(() => load(), [session]);
  return (
    <Screen title="History">
      {problem && <p role="alert">{problem}</p>}
      {!loading && entries.length === 0 && !problem && <p class="empty">No conversations in your history yet.</p>}
      <ul class="list" data-testid="history">
        {entries.map((e) => (
          <li key={e.href}>
            <button type="button" class={`row row-button${e.isRead ? '' : ' unread'}`} onClick={() => open(e)} data-read={String(e.isRead)}
              data-type={e.type} data-status={e.status}
              aria-label={`${kindText(e)} with ${e.with.map(nameOf).join(', ')}, ${dateTimeOf(e.at)}${e.isRead ? '' : ', unread'}`}>
              <span class="row-main">
                <span class="name">{e.with.map(nameOf).join(', ') || 'Conversation'}{e.status === 'Missed' && <span class="tag">{call(e) ? 'Missed call' : 'Missed'}</span>}{!e.isRead && <span class="tag tag-unread">Unread</span>}</span>
                <span class="sub" data-testid="history-sub">{call(e) ? callText(e) : e.preview || e.subject}</span>
              </span>
              <time class="sub">{dateTimeOf(e.at)}</time>
            </button>
          </li>
        ))}
      </ul>
      {next && <button type="button" disabled={loading} onClick={() => load(next)}>Show older</button>}
    </Screen>
  );
}

export function Transcript({ session, entry, back, nameOf }: { session: Session; entry: HistoryEntry; back: () => void; nameOf: (key: string) => string }) {
  const [lines, setLines] = useState<TranscriptLine[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const load = (href: string, append: boolean) => {
    setLoading(true);
    session.transcripts(href).then((r) => {
      setLines((old) => (append ? [...old, ...r.lines] : r.lines));
      setNext(r.next);
    }).finally(() => setLoading(false));
  };
  useEffect(() => {
    load(entry.transcriptsHref, false);
    if (!entry.isRead && entry.markAsReadHref) void session.markHistoryRead(entry.markAsReadHref).catch(() => undefined);
  }, [entry]);
  return (
    <Screen title={`With ${entry.with.map(nameOf).join(', ')}`} actions={<button type="button" onClick={back}>Back</button>}>
      <p class="sub">{dateTimeOf(entry.at)}{entry.status === 'Missed' ? ' · missed' : ''}</p>
      <ol class="messages transcript" data-testid="transcript">
        {lines.map((l, i) => (
          <li key={i} class={`msg ${l.mine ? 'msg-out' : 'msg-in'}`}>
            <div class="bubble">{messageBody(l.text, l.html)}</div>
            <div class="meta">{l.mine ? l.from : nameOf(l.from)} · <time>{timeOf(l.at)}</time></div>
          </li>
        ))}
      </ol>
      {next && <button type="button" disabled={loading} onClick={() => load(next, true)}>Show more</button>}
    </Screen>
  );
}
