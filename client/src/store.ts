// The client's whole state in one object, replaced (never mutated) on every change so that
// Preact re-renders exactly when something changed.
import { useEffect, useState } from 'preact/hooks';

export type Connection = 'signed-out' | 'signing-in' | 'connecting' | 'connected' | 'reconnecting';

export type Contact = {
  key: string; // "bob@example.org"
  name: string;
  title?: string;
  department?: string;
  availability: string; // Online, Away, ... "Unknown" before the first answer
  note: string;
};

export type ChatMessage = {
  id: string; // the message href once known, else a local id
  dir: 'in' | 'out';
  text: string;
  html?: string;
  at: number;
  status: 'sending' | 'sent' | 'failed';
  failure?: string;
  opId?: string;
};

export type ConversationState = 'New' | 'Connecting' | 'Connected' | 'Disconnected' | 'Failed';

export type Conversation = {
  id: string; // local, stable
  href?: string; // the server's conversation href while it lives
  peer: string; // key of the other person
  peerName: string;
  state: ConversationState;
  messages: ChatMessage[];
  typing: boolean;
  unread: number;
  sendHref?: string;
  typingHref?: string;
  stopHref?: string;
  inviteOp?: string; // operationId of our pending invitation
  threadId?: string; // ties the conversation to its history entry
  outbox: string[]; // ids of messages waiting for the conversation to connect
  failure?: string;
  updated: number;
};

// The call on screen (one at a time; ucwa/calls.ts). Media streams stay in the controller.
export type CallPhase = 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'ended';

export type CallInfo = {
  id: string; // local
  phase: CallPhase;
  incoming: boolean;
  peer: string;
  peerName: string;
  videoOffered: boolean; // incoming: the caller offers video
  video: boolean; // we send video now
  remoteVideo: boolean; // we receive video now
  muted: boolean;
  held: boolean; // we put the call on hold
  heldBy?: string; // the other side's name while she holds it
  media: string; // RTCPeerConnectionState
  answeredAt?: number;
  restriction?: string; // the server's restrictionMessage
  notice?: string; // why it ended, or what failed
  busy: boolean; // a renegotiation is under way
  canSwitchCamera: boolean;
  facing: 'user' | 'environment';
  streams: number; // bumped whenever a stream changes, so that the screen re-attaches them
};

export type Me = { uri: string; name: string; availability: string; note: string };

export type State = {
  connection: Connection;
  user?: string;
  notice?: string; // shown on the sign-in screen after a sign-out
  me: Me;
  contacts: Contact[];
  conversations: Conversation[];
  missed: number; // unread missed conversations (server count)
  activeConversation?: string; // the chat on screen: its messages are read
  call?: CallInfo;
};

export const initialState: State = {
  connection: 'signed-out',
  me: { uri: '', name: '', availability: 'Offline', note: '' },
  contacts: [],
  conversations: [],
  missed: 0,
};

type Listener = (s: State) => void;

export class Store {
  private listeners = new Set<Listener>();
  constructor(public state: State = initialState) {}

  set(patch: Partial<State> | ((s: State) => Partial<State>)): void {
    const p = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...p };
    for (const l of this.listeners) l(this.state);
  }

  updateConversation(id: string, fn: (c: Conversation) => Conversation): void {
    this.set((s) => ({ conversations: s.conversations.map((c) => (c.id === id ? fn(c) : c)) }));
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function useStore(store: Store): State {
  const [s, setS] = useState(store.state);
  useEffect(() => store.subscribe(setS), [store]);
  return s;
}

export function unreadTotal(s: State): number {
  return s.conversations.reduce((n, c) => n + c.unread, 0) + s.missed;
}
