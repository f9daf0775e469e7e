import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact, State } from '../store';
import type { Session } from '../ucwa/session';
import { PresenceDot, Screen, availabilityLabel } from './common';
import { CallButtons } from './call';

export function Contacts({ state, session, openChat }: { state: State; session: Session; openChat: (c: Contact) => void }) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Contact[] | null>(null);
  const [problem, setProblem] = useState('');
  const seq = useRef(0);
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      return;
    }
    const mine = ++seq.current;
    const t = setTimeout(() => {
      session.search(q).then(
        (r) => mine === seq.current && (setResults(r), setProblem('')),
        () => mine === seq.current && setProblem('Search failed. Try again.'),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [query, session]);
  const listed = new Set(state.contacts.map((c) => c.key));
  return (
    <Screen title="Contacts">
      <form class="search" role="search" onSubmit={(e) => e.preventDefault()}>
        <label for="search-input" class="visually-hidden">Search people</label>
        <input id="search-input" type="search" placeholder="Search people by name or address" value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
      </form>
      {problem && <p role="alert">{problem}</p>}
      {results && (
        <div aria-live="polite">
          <h2>Search results</h2>
          {results.length === 0 ? <p class="empty">Nobody found.</p> : (
            <ul class="list" data-testid="search-results">
              {results.filter((r) => r.key !== state.me.uri.replace(/^sip:/, '')).map((r) => (
                <li key={r.key} class="row">
                  <div class="row-main">
                    <span class="name">{r.name}</span>
                    <span class="sub">{r.key}{r.title ? ` · ${r.title}` : ''}</span>
                  </div>
                  <button type="button" onClick={() => openChat(r)} aria-label={`Chat with ${r.name}`}>Chat</button>
                  {!listed.has(r.key) && (
                    <button type="button" onClick={() => void session.addContact(r.key)} aria-label={`Add ${r.name} to contacts`}>Add</button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <h2>My contacts</h2>
      {state.contacts.length === 0 ? (
        <p class="empty">No contacts yet. Search for someone and add them.</p>
      ) : (
        <ul class="list" data-testid="contacts">
          {state.contacts.map((c) => (
            <li key={c.key} class="contact-row">
              <button type="button" class="row row-button" data-contact={c.key} onClick={() => openChat(c)}
                aria-label={`${c.name}, ${availabilityLabel(c.availability)}${c.note ? ', note: ' + c.note : ''}. Open chat`}>
                <PresenceDot availability={c.availability} />
                <span class="row-main">
                  <span class="name">{c.name}</span>
                  <span class="sub">{availabilityLabel(c.availability)}{c.note ? ` · ${c.note}` : ''}</span>
                </span>
              </button>
              <CallButtons peer={c.key} name={c.name} calls={session.calls} busy={!!state.call} />
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}

const CHOICES = ['Online', 'Busy', 'DoNotDisturb', 'BeRightBack', 'Away'];

export function MyPresence({ state, session }: { state: State; session: Session }) {
  const [note, setNote] = useState(state.me.note);
  const [saved, setSaved] = useState('');
  useEffect(() => setNote(state.me.note), [state.me.note]);
  return (
    <Screen title="My status">
      <p class="me-line">
        <PresenceDot availability={state.me.availability} /> <strong>{state.me.name}</strong>{' '}
        <span class="sub" data-testid="my-availability">{availabilityLabel(state.me.availability)}</span>
      </p>
      <label for="my-presence">Presence</label>
      <select id="my-presence" value={CHOICES.includes(state.me.availability) ? state.me.availability : 'Online'}
        onChange={(e) => void session.setAvailability(e.currentTarget.value).then(() => setSaved('Presence updated.'), () => setSaved('Could not change presence.'))}>
        {CHOICES.map((c) => <option key={c} value={c}>{availabilityLabel(c)}</option>)}
      </select>
      <form onSubmit={(e) => {
        e.preventDefault();
        session.setNote(note.trim()).then(() => setSaved('Note saved.'), () => setSaved('Could not save the note.'));
      }}>
        <label for="my-note">Note (what others see)</label>
        <textarea id="my-note" rows={2} maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        <button type="submit" class="primary">Save note</button>
      </form>
      <p role="status" class="sub">{saved}</p>
    </Screen>
  );
}
