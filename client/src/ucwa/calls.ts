// Audio and video calls (docs/calls.md): one call at a time, WebRTC media through the Edge relay
// with credentials from mediaRelayAccessToken, the SDP offer and answer carried by the server.
// UCWA has no trickle ICE, so every description is sent once gathering is over, or after
// GATHER_BOUND_MS with what was gathered by then. Hold and video on/off are renegotiations; the
// other side's renegotiations are answered without asking.

import {
  UcwaError,
  dataUriText,
  embedded,
  embeddedList,
  keyOf,
  linkOf,
  newId,
  str,
  type Reply,
  type RequestOptions,
  type Resource,
} from './http';
import type { CallInfo, Store } from '../store';

const GATHER_BOUND_MS = 5000;
const RENEGOTIATION_WAIT_MS = 35_000; // the server gives up on an unanswered one after 30 s
const ENDED_SHOWN_MS = 4000;

type Http = (method: string, href: string, o?: RequestOptions) => Promise<Reply>;

type Links = Partial<Record<'cancel' | 'accept' | 'decline' | 'stop' | 'renegotiations' | 'hold' | 'resume' | 'addVideo' | 'stopVideo', string>>;

type Live = {
  id: string;
  opId: string;
  incoming: boolean;
  pc?: RTCPeerConnection;
  local: MediaStream;
  remote: MediaStream;
  invHref?: string;
  convHref?: string;
  avHref?: string;
  links: Links;
  offer?: string; // the incoming offer
  cancelWanted?: boolean;
  ended?: boolean;
  queue: Promise<unknown>; // negotiations, one after the other
  pending?: { resolve: (answer: string) => void; reject: (e: Error) => void };
  beforeHold?: Map<RTCRtpTransceiver, RTCRtpTransceiverDirection>;
};

// Read-only timings and state for diagnostics and the browser tests (window.parleyDebug).
export type CallDebug = {
  offerAt: number; // performance.now() when the last offer was created
  connectedAt: number;
  setupMs: number[]; // offer created → media connected, per outgoing call
  tones: string[]; // DTMF tones as they were played out
  lastEnd: string; // the notice the last call ended with
  events: string[]; // the last call events seen: "rel type status subcode"
  stats: () => Promise<unknown>;
  remoteSdp: () => string;
  localSdp: () => string;
  tracks: () => { kind: string; enabled: boolean; state: string }[];
};

export function sdpUri(sdp: string): string {
  const bytes = new TextEncoder().encode(sdp);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return 'data:application/sdp;base64,' + btoa(bin);
}

// Diagnostics: localStorage['parley.iceTransportPolicy'] = 'relay' | 'all', and
// localStorage['parley.turnTransports'] = e.g. "udp,tcp,tls".
function iceTransportPolicy(): RTCIceTransportPolicy {
  return localStorage.getItem('parley.iceTransportPolicy') === 'relay' ? 'relay' : 'all';
}

function turnTransports(): Set<string> {
  const v = (localStorage.getItem('parley.turnTransports') ?? '').toLowerCase();
  const set = new Set(v.split(',').map((x) => x.trim()).filter((x) => ['udp', 'tcp', 'tls'].includes(x)));
  return set.size ? set : new Set(['udp', 'tcp', 'tls']);
}

export function iceServersOf(token: Resource): RTCIceServer[] {
  const allowed = turnTransports();
  const urls: string[] = [];
  for (const r of embeddedList(token, 'mediaRelay')) {
    const host = str(r.ipv4) || str(r.host);
    const port = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : -1);
    if (!host) continue;
    if (allowed.has('udp') && port('udpPort') > 0) urls.push(`turn:${host}:${port('udpPort')}?transport=udp`);
    if (allowed.has('tcp') && port('tcpPort') > 0) urls.push(`turn:${host}:${port('tcpPort')}?transport=tcp`);
    if (allowed.has('tls') && port('tlsPort') > 0) urls.push(`turns:${str(r.host) || host}:${port('tlsPort')}?transport=tcp`);
  }
  return urls.length ? [{ urls, username: str(token.userName), credential: str(token.password) }] : [];
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const timer = setTimeout(done, GATHER_BOUND_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

function hasVideo(sdp: string): boolean {
  return /^m=video [1-9]/m.test(sdp);
}

function usable(t: RTCRtpTransceiver): boolean {
  return !(t as { stopped?: boolean }).stopped && t.currentDirection !== 'stopped';
}

function kindOf(t: RTCRtpTransceiver): string {
  return t.receiver.track?.kind ?? '';
}

function mediaError(e: unknown): string {
  if (e instanceof UcwaError) {
    if (e.subcode === 'WiFiRequired') return e.message || 'Your policy allows calls only on Wi-Fi.';
    if (e.subcode === 'IPAudioVideoDisabled') return e.message || 'Your policy does not allow calls.';
    if (e.status === 410) return 'The call has ended.';
    return e.message || `The call could not be set up (${e.status}).`;
  }
  if (e instanceof DOMException) {
    if (e.name === 'NotAllowedError') return 'Parley may not use the microphone or camera. Allow it in the browser settings.';
    if (e.name === 'NotFoundError') return 'No microphone or camera was found.';
    if (e.name === 'NotReadableError') return 'The microphone or camera is in use by another app.';
  }
  return e instanceof Error && e.message ? `The call failed: ${e.message}` : 'The call failed.';
}

function endText(subcode: string, incoming: boolean, fallback: string): string {
  switch (subcode) {
    case 'Declined': return incoming ? 'Declined on another device.' : 'The call was declined.';
    case 'NoAnswer':
    case 'Timeout': return incoming ? 'Missed call' : 'No answer.';
    case 'MissedCall':
    case 'Cancelled': return incoming ? 'Missed call' : 'Call cancelled.';
    case 'AnsweredElsewhere': return 'Answered on another device.';
    case 'TemporarilyUnavailable':
    case 'DestinationNotFound': return 'The person cannot take calls now.';
    default: return fallback;
  }
}

// The network for the mobility policy (Parley's `networkType` in reportMyNetwork).
export function networkType(): string {
  const t = (navigator as { connection?: { type?: string } }).connection?.type;
  switch (t) {
    case 'wifi': return 'Wifi';
    case 'cellular': return 'Cellular';
    case 'ethernet': return 'Wired';
    default: return 'Unknown';
  }
}

export class CallController {
  private live?: Live;
  private reportHref = '';
  readonly debug: CallDebug;
  private readonly onNetwork = () => void this.reportNetwork();

  constructor(
    private readonly store: Store,
    private readonly http: Http,
    private readonly communication: () => Resource | undefined,
    private readonly nameOf: (key: string, offered: string) => string,
  ) {
    this.debug = {
      offerAt: 0,
      connectedAt: 0,
      setupMs: [],
      tones: [],
      lastEnd: '',
      events: [],
      stats: () => this.stats(),
      remoteSdp: () => this.live?.pc?.currentRemoteDescription?.sdp ?? '',
      localSdp: () => this.live?.pc?.currentLocalDescription?.sdp ?? '',
      tracks: () => (this.live?.local.getTracks() ?? []).map((t) => ({ kind: t.kind, enabled: t.enabled, state: t.readyState })),
    };
    (window as { parleyDebug?: unknown }).parleyDebug = this.debug;
  }

  get localStream(): MediaStream | undefined {
    return this.live?.local;
  }

  get remoteStream(): MediaStream | undefined {
    return this.live?.remote;
  }

  // ---- network ----------------------------------------------------------------------------------

  async attach(reportHref: string | undefined): Promise<void> {
    const conn = (navigator as { connection?: EventTarget }).connection;
    if (!this.reportHref) conn?.addEventListener?.('change', this.onNetwork);
    this.reportHref = reportHref ?? '';
    await this.reportNetwork();
  }

  private async reportNetwork(): Promise<void> {
    if (!this.reportHref) return;
    const body = { clientNetworkType: 'External', networkType: networkType() };
    await this.http('POST', this.reportHref, { body: JSON.stringify(body) }).catch(() => undefined);
  }

  stop(): void {
    (navigator as { connection?: EventTarget }).connection?.removeEventListener?.('change', this.onNetwork);
    this.reportHref = '';
    if (this.live) {
      const l = this.live;
      if (l.links.stop) void this.http('POST', l.links.stop).catch(() => undefined);
      this.end(l, 'Call ended.');
    }
  }

  // ---- state ------------------------------------------------------------------------------------

  private patch(l: Live, p: Partial<CallInfo>): void {
    if (this.live !== l) return;
    this.store.set((s) => (s.call && s.call.id === l.id ? { call: { ...s.call, ...p } } : {}));
  }

  private info(): CallInfo | undefined {
    return this.store.state.call;
  }

  private begin(l: Live, p: Pick<CallInfo, 'phase' | 'incoming' | 'peer' | 'peerName' | 'videoOffered' | 'video'>): void {
    this.live = l;
    this.store.set({
      call: {
        id: l.id, muted: false, held: false, remoteVideo: false, media: 'new', busy: false, canSwitchCamera: false,
        facing: 'user', streams: 0, ...p,
      },
    });
  }

  private end(l: Live, notice: string): void {
    if (l.ended) return;
    l.ended = true;
    l.pending?.reject(new Error('the call ended'));
    l.pc?.close();
    for (const t of l.local.getTracks()) t.stop();
    this.debug.lastEnd = notice;
    this.patch(l, { phase: 'ended', notice, busy: false, media: 'closed' });
    this.live = undefined;
    setTimeout(() => this.store.set((s) => (s.call?.id === l.id ? { call: undefined } : {})), ENDED_SHOWN_MS);
  }

  dismiss(): void {
    const c = this.info();
    if (c?.phase === 'ended') this.store.set({ call: undefined });
  }

  // Media state after each negotiation, from what was agreed rather than what was asked.
  private refresh(l: Live): void {
    const pc = l.pc;
    if (!pc) return;
    let video = false;
    let remoteVideo = false;
    for (const t of pc.getTransceivers()) {
      if (kindOf(t) !== 'video' || !usable(t)) continue;
      const d = t.currentDirection;
      if ((d === 'sendrecv' || d === 'sendonly') && t.sender.track) video = true;
      if (d === 'sendrecv' || d === 'recvonly') remoteVideo = true;
    }
    this.patch(l, { video, remoteVideo, streams: (this.info()?.streams ?? 0) + 1 });
  }

  private async peerConnection(l: Live): Promise<RTCPeerConnection> {
    const href = linkOf(this.communication(), 'mediaRelayAccessToken');
    const token = href ? (await this.http('GET', href)).body ?? {} : {};
    const pc = new RTCPeerConnection({ iceServers: iceServersOf(token), iceTransportPolicy: iceTransportPolicy(), bundlePolicy: 'max-bundle' });
    l.pc = pc;
    pc.addEventListener('track', (e) => {
      l.remote.addTrack(e.track);
      e.track.addEventListener('ended', () => l.remote.removeTrack(e.track));
      this.patch(l, { streams: (this.info()?.streams ?? 0) + 1 });
    });
    pc.addEventListener('connectionstatechange', () => {
      const state = pc.connectionState;
      if (state === 'connected' && !l.incoming && this.debug.offerAt && !this.debug.connectedAt) {
        this.debug.connectedAt = performance.now();
        this.debug.setupMs.push(Math.round(this.debug.connectedAt - this.debug.offerAt));
      }
      this.patch(l, { media: state });
    });
    return pc;
  }

  private async media(l: Live, video: boolean): Promise<void> {
    const facing = this.info()?.facing ?? 'user';
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: video ? { facingMode: facing } : false });
    if (l.ended) {
      for (const t of s.getTracks()) t.stop();
      throw new Error('the call ended');
    }
    for (const t of s.getTracks()) l.local.addTrack(t);
    if (video) void this.checkCameras(l);
  }

  private async checkCameras(l: Live): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    this.patch(l, { canSwitchCamera: devices.filter((d) => d.kind === 'videoinput').length > 1 });
  }

  // ---- outgoing ---------------------------------------------------------------------------------

  async start(peer: string, peerName: string, video: boolean): Promise<void> {
    if (this.live) return;
    const l: Live = { id: newId(), opId: newId(), incoming: false, local: new MediaStream(), remote: new MediaStream(), links: {}, queue: Promise.resolve() };
    this.begin(l, { phase: 'outgoing', incoming: false, peer, peerName, videoOffered: video, video });
    this.debug.offerAt = 0;
    this.debug.connectedAt = 0;
    try {
      await this.media(l, video);
      const pc = await this.peerConnection(l);
      for (const t of l.local.getTracks()) pc.addTransceiver(t, { direction: 'sendrecv', streams: [l.local] });
      this.patch(l, { streams: 1 });
      this.debug.offerAt = performance.now();
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      if (l.ended) return;
      const comm = this.communication();
      const href =
        (video ? linkOf(comm, 'startVideo') : linkOf(comm, 'startAudio')) ??
        linkOf(comm, 'startAudioVideo') ??
        `${linkOf(comm, 'self') ?? ''}/audioVideoInvitations`;
      const body = {
        to: 'sip:' + peer, operationId: l.opId, importance: 'Normal', subject: '',
        _links: { mediaOffer: { href: sdpUri(pc.localDescription?.sdp ?? '') } },
      };
      const r = await this.http('POST', href, { body: JSON.stringify(body) });
      l.invHref ??= r.headers.get('Location') ?? undefined;
      if (l.cancelWanted) await this.cancel();
    } catch (e) {
      this.end(l, mediaError(e));
    }
  }

  async cancel(): Promise<void> {
    const l = this.live;
    if (!l || l.incoming) return;
    if (!l.invHref) {
      l.cancelWanted = true; // the invitation is not created yet: cancel once it is
      return;
    }
    await this.http('POST', l.links.cancel ?? l.invHref + '/cancel').catch(() => undefined);
    this.end(l, 'Call cancelled.');
  }

  // ---- incoming ---------------------------------------------------------------------------------

  async accept(video: boolean): Promise<void> {
    const l = this.live;
    if (!l || !l.incoming || !l.offer || !l.links.accept || this.info()?.phase !== 'incoming') return;
    this.patch(l, { phase: 'connecting' });
    try {
      const withVideo = video && hasVideo(l.offer);
      await this.media(l, withVideo);
      const pc = await this.peerConnection(l);
      await pc.setRemoteDescription({ type: 'offer', sdp: l.offer });
      const audio = l.local.getAudioTracks()[0];
      const camera = l.local.getVideoTracks()[0];
      for (const t of pc.getTransceivers()) {
        if (!usable(t)) continue;
        if (kindOf(t) === 'audio' && audio) {
          await t.sender.replaceTrack(audio);
          t.sender.setStreams?.(l.local);
          t.direction = 'sendrecv';
        } else if (kindOf(t) === 'video') {
          if (camera) {
            await t.sender.replaceTrack(camera);
            t.sender.setStreams?.(l.local);
            t.direction = 'sendrecv';
          } else {
            t.direction = 'recvonly'; // an audio answer still shows the caller's video
          }
        }
      }
      this.patch(l, { streams: 1 });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      if (l.ended) return;
      await this.http('POST', l.links.accept, { body: pc.localDescription?.sdp ?? '', contentType: 'application/sdp' });
      this.patch(l, { phase: 'connected', answeredAt: Date.now() });
      this.refresh(l);
    } catch (e) {
      this.end(l, e instanceof UcwaError && e.status === 410 ? 'The call was answered elsewhere or has ended.' : mediaError(e));
    }
  }

  async decline(): Promise<void> {
    const l = this.live;
    if (!l || !l.incoming) return;
    if (l.links.decline) await this.http('POST', l.links.decline, { body: JSON.stringify({ reason: 'Local' }) }).catch(() => undefined);
    this.end(l, 'Declined');
  }

  // ---- in the call ------------------------------------------------------------------------------

  async hangUp(): Promise<void> {
    const l = this.live;
    if (!l) return;
    const phase = this.info()?.phase;
    if (phase === 'outgoing') return this.cancel();
    if (phase === 'incoming') return this.decline();
    const href = l.links.stop ?? (l.avHref ? l.avHref + '/terminate' : undefined);
    if (href) await this.http('POST', href).catch(() => undefined);
    this.end(l, 'Call ended.');
  }

  toggleMute(): void {
    const l = this.live;
    if (!l) return;
    const muted = !this.info()?.muted;
    for (const t of l.local.getAudioTracks()) t.enabled = !muted;
    this.patch(l, { muted });
  }

  dtmf(tone: string): void {
    const sender = this.live?.pc?.getSenders().find((s) => s.track?.kind === 'audio');
    const d = sender?.dtmf;
    if (!d || !d.canInsertDTMF) return;
    if (!d.ontonechange) d.ontonechange = (e) => e.tone && this.debug.tones.push(e.tone);
    d.insertDTMF(d.toneBuffer + tone, 120, 70); // insertDTMF replaces the buffer: keep what is queued
  }

  // Runs negotiations one after the other, on this call only.
  private serial(l: Live, job: () => Promise<void>): Promise<void> {
    const next = l.queue.then(job, job);
    l.queue = next.catch(() => undefined);
    return next;
  }

  private async action(intent: string, prepare: (pc: RTCPeerConnection, l: Live) => Promise<() => void>): Promise<void> {
    const l = this.live;
    const pc = l?.pc;
    if (!l || !pc || this.info()?.phase !== 'connected') return;
    await this.serial(l, async () => {
      if (l.ended) return;
      this.patch(l, { busy: true, notice: undefined });
      const undo = await prepare(pc, l);
      try {
        await this.renegotiate(l, intent);
      } catch (e) {
        undo();
        this.patch(l, { notice: mediaError(e) });
      } finally {
        this.patch(l, { busy: false });
        this.refresh(l);
      }
    });
  }

  private async renegotiate(l: Live, intent: string): Promise<void> {
    const pc = l.pc!;
    const base = l.links.renegotiations ?? (l.avHref ? l.avHref + '/renegotiations' : '');
    const href = l.links[intent as keyof Links] ?? `${base}?intent=${intent}`;
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const answered = new Promise<string>((resolve, reject) => (l.pending = { resolve, reject }));
    const timer = setTimeout(() => l.pending?.reject(new Error('the other side did not answer')), RENEGOTIATION_WAIT_MS);
    try {
      await this.http('POST', href, { body: pc.localDescription?.sdp ?? '', contentType: 'application/sdp' });
      const answer = await answered;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (e) {
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
      l.pending = undefined;
    }
  }

  async setVideo(on: boolean): Promise<void> {
    await this.action(on ? 'addVideo' : 'stopVideo', async (pc, l) => {
      const videoT = pc.getTransceivers().filter((t) => kindOf(t) === 'video' && usable(t));
      if (!on) {
        // The camera is released too (its light goes off); video on asks for it again.
        const before = videoT.map((t) => [t, t.direction, t.sender.track] as const);
        for (const t of videoT) {
          t.direction = 'inactive';
          await t.sender.replaceTrack(null);
        }
        for (const [, , track] of before) {
          if (!track) continue;
          track.stop();
          l.local.removeTrack(track);
        }
        return () => before.forEach(([t, d]) => usable(t) && (t.direction = d));
      }
      let track = l.local.getVideoTracks()[0];
      let added: MediaStreamTrack | undefined;
      if (!track || track.readyState === 'ended') {
        const facing = this.info()?.facing ?? 'user';
        const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: facing } });
        track = added = s.getVideoTracks()[0];
        l.local.addTrack(track);
        void this.checkCameras(l);
      }
      const t = videoT[0];
      const before = t?.direction;
      if (t) {
        await t.sender.replaceTrack(track);
        t.sender.setStreams?.(l.local);
        t.direction = 'sendrecv';
      } else {
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [l.local] });
      }
      this.patch(l, { streams: (this.info()?.streams ?? 0) + 1 });
      return () => {
        if (t && before && usable(t)) t.direction = before;
        if (added) {
          added.stop();
          l.local.removeTrack(added);
        }
      };
    });
  }

  async setHold(hold: boolean): Promise<void> {
    await this.action(hold ? 'hold' : 'resume', async (pc, l) => {
      const ts = pc.getTransceivers().filter(usable);
      if (hold) {
        l.beforeHold = new Map(ts.map((t) => [t, t.direction]));
        for (const t of ts) t.direction = t.direction === 'sendrecv' ? 'sendonly' : t.direction === 'recvonly' ? 'inactive' : t.direction;
        this.patch(l, { held: true });
        return () => {
          for (const [t, d] of l.beforeHold ?? []) if (usable(t)) t.direction = d;
          this.patch(l, { held: false });
        };
      }
      const saved = new Map(ts.map((t) => [t, t.direction]));
      for (const t of ts) t.direction = l.beforeHold?.get(t) ?? (t.sender.track ? 'sendrecv' : 'recvonly');
      this.patch(l, { held: false });
      return () => {
        for (const [t, d] of saved) if (usable(t)) t.direction = d;
        this.patch(l, { held: true });
      };
    });
  }

  async switchCamera(): Promise<void> {
    const l = this.live;
    const sender = l?.pc?.getSenders().find((s) => s.track?.kind === 'video');
    if (!l || !sender?.track) return;
    const facing = this.info()?.facing === 'user' ? 'environment' : 'user';
    const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { exact: facing } } }).catch(() => null);
    const track = s?.getVideoTracks()[0];
    if (!track) return this.patch(l, { notice: 'The other camera is not available.' });
    const old = sender.track;
    await sender.replaceTrack(track);
    l.local.removeTrack(old);
    old.stop();
    l.local.addTrack(track);
    this.patch(l, { facing, streams: (this.info()?.streams ?? 0) + 1 });
  }

  // ---- events -------------------------------------------------------------------------------------

  // True when the event was about a call (the session then leaves it alone).
  handle(senderHref: string, ev: Resource): boolean {
    const l = (ev.link ?? {}) as { rel?: string; href?: string };
    const rel = l.rel ?? '';
    const href = l.href ?? '';
    const type = str(ev.type);
    const body = embedded(ev, rel);
    if (rel.startsWith('audioVideo') || (rel === 'conversation' && this.live)) {
      this.debug.events.push(`${rel} ${type} ${str(ev.status)} ${str((ev.reason as Resource | undefined)?.subcode)}`.trim());
      if (this.debug.events.length > 50) this.debug.events.shift();
    }
    switch (rel) {
      case 'audioVideoInvitation':
        this.onInvitation(type, href, body, ev);
        return true;
      case 'audioVideoNegotiation':
        this.onNegotiation(body);
        return true;
      case 'audioVideoRenegotiation':
        this.onRenegotiation(type, body, ev);
        return true;
      case 'audioVideo':
        this.onAudioVideo(href, senderHref, body);
        return true;
      case 'conversation': {
        const live = this.live;
        if (!live || live.convHref !== href) return false;
        if (type === 'deleted') this.gone(live);
        return true;
      }
      default:
        return false;
    }
  }

  // The call's conversation or media ended. While it rings, the invitation's completion says why,
  // and the server's event package may list it after this.
  private gone(l: Live): void {
    const phase = this.info()?.phase;
    if (phase !== 'incoming' && phase !== 'outgoing') return this.end(l, 'Call ended.');
    setTimeout(() => this.end(l, l.incoming ? 'Missed call' : 'Call ended.'), 1500);
  }

  private restriction(l: Live, body: Resource | undefined): void {
    const m = str(body?.restrictionMessage);
    if (m) this.patch(l, { restriction: m });
  }

  private onInvitation(type: string, href: string, inv: Resource | undefined, ev: Resource): void {
    const reason = ev.reason as Resource | undefined;
    if (inv && str(inv.direction) === 'Incoming') {
      if (type === 'started') {
        if (this.live) return; // one call at a time: this one rings on the other devices
        const offer = linkOf(inv, 'mediaOffer');
        if (!offer) return;
        const from = embedded(inv, 'from');
        const peer = keyOf(str(from?.uri));
        const live: Live = {
          id: newId(), opId: '', incoming: true, local: new MediaStream(), remote: new MediaStream(), queue: Promise.resolve(),
          invHref: href, convHref: linkOf(inv, 'conversation'), avHref: linkOf(inv, 'audioVideo'), offer: dataUriText(offer),
          links: { accept: linkOf(inv, 'acceptWithAnswer'), decline: linkOf(inv, 'decline') },
        };
        this.begin(live, {
          phase: 'incoming', incoming: true, peer, peerName: this.nameOf(peer, str(from?.name)), videoOffered: hasVideo(live.offer ?? ''), video: false,
        });
        this.restriction(live, inv);
        return;
      }
    }
    const l = this.live;
    if (!l) return;
    const ours = (inv && !l.incoming && l.opId && str(inv.operationId) === l.opId) || (l.invHref && l.invHref === href);
    if (!ours) return;
    if (inv) this.restriction(l, inv);
    if (!l.incoming && inv && type === 'started') {
      l.invHref = href;
      l.convHref = linkOf(inv, 'conversation');
      l.avHref = linkOf(inv, 'audioVideo');
      l.links.cancel = linkOf(inv, 'cancel');
      if (l.cancelWanted) void this.cancel();
      return;
    }
    if (type !== 'completed') return;
    if (str(ev.status) === 'Success') {
      if (!l.incoming) {
        this.patch(l, { phase: 'connected', answeredAt: Date.now() });
        this.refresh(l);
      }
      return;
    }
    const phase = this.info()?.phase;
    if (l.incoming && phase !== 'incoming' && str(reason?.subcode) !== 'AnsweredElsewhere') return; // we answered
    this.end(l, endText(str(reason?.subcode), l.incoming, str(reason?.message) || 'The call ended.'));
  }

  private onNegotiation(n: Resource | undefined): void {
    const l = this.live;
    const pc = l?.pc;
    const answer = linkOf(n, 'mediaAnswer');
    if (!l || !pc || l.incoming || !answer) return;
    const av = linkOf(n, 'audioVideo');
    if (av && l.avHref && av !== l.avHref) return;
    if (pc.signalingState !== 'have-local-offer') return;
    void pc.setRemoteDescription({ type: 'answer', sdp: dataUriText(answer) }).then(
      () => this.refresh(l),
      (e) => {
        void this.hangUp();
        this.end(l, mediaError(e));
      },
    );
  }

  private onRenegotiation(type: string, r: Resource | undefined, ev: Resource): void {
    const l = this.live;
    if (!l || !r) return;
    const av = linkOf(r, 'audioVideo');
    if (av && l.avHref && av !== l.avHref) return;
    if (str(r.direction) === 'Outgoing') {
      if (type !== 'completed' || !l.pending) return;
      const answer = linkOf(r, 'mediaAnswer');
      if (str(ev.status) === 'Success' && answer) l.pending.resolve(dataUriText(answer));
      else l.pending.reject(new UcwaError(409, 'Failed', str((ev.reason as Resource | undefined)?.subcode),
        str((ev.reason as Resource | undefined)?.message) || 'The other side did not accept the change.'));
      return;
    }
    if (type !== 'started') return;
    const offer = linkOf(r, 'mediaOffer');
    const accept = linkOf(r, 'acceptWithAnswer');
    if (!offer || !accept) return;
    void this.serial(l, () => this.answerRenegotiation(l, str(r.intent), dataUriText(offer), accept, linkOf(r, 'decline')));
  }

  // The other side's hold, resume or video change: answer it as it is.
  private async answerRenegotiation(l: Live, intent: string, offer: string, accept: string, decline?: string): Promise<void> {
    const pc = l.pc;
    if (!pc || l.ended) return;
    this.patch(l, { busy: true });
    try {
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      if (intent === 'addVideo')
        for (const t of pc.getTransceivers())
          if (kindOf(t) === 'video' && usable(t) && t.direction === 'inactive') t.direction = t.sender.track ? 'sendrecv' : 'recvonly';
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      await this.http('POST', accept, { body: pc.localDescription?.sdp ?? '', contentType: 'application/sdp' });
    } catch (e) {
      if (pc.signalingState === 'have-remote-offer') await pc.setRemoteDescription({ type: 'rollback' }).catch(() => undefined);
      if (decline) await this.http('POST', decline).catch(() => undefined);
      this.patch(l, { notice: mediaError(e) });
    } finally {
      this.patch(l, { busy: false });
      this.refresh(l);
    }
  }

  private onAudioVideo(href: string, senderHref: string, av: Resource | undefined): void {
    const l = this.live;
    if (!l || !av) return;
    if (!(l.avHref === href || (l.convHref && l.convHref === senderHref))) return;
    l.avHref ??= href;
    const link = (rel: string) => linkOf(av, rel);
    l.links = {
      ...l.links,
      stop: link('stopAudioVideo') ?? l.links.stop,
      renegotiations: link('audioVideoRenegotiations') ?? l.links.renegotiations,
      hold: link('hold') ?? l.links.hold,
      resume: link('resume') ?? l.links.resume,
      addVideo: link('addVideo') ?? l.links.addVideo,
      stopVideo: link('stopVideo') ?? l.links.stopVideo,
    };
    this.restriction(l, av);
    const state = str(av.state);
    if (state === 'Disconnected') return this.gone(l);
    const c = this.info();
    if (!c) return;
    const heldBy = av.onHold === true && av.heldBy !== undefined ? keyOf(str(av.heldBy)) : '';
    this.patch(l, {
      heldBy: heldBy && heldBy === c.peer ? c.peerName : undefined,
      ...(state === 'Connected' && c.phase === 'outgoing' ? { phase: 'connected', answeredAt: Date.now() } : {}),
    });
  }

  // ---- diagnostics --------------------------------------------------------------------------------

  private async stats(): Promise<unknown> {
    const pc = this.live?.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    const inbound: Record<string, number> = { audio: 0, video: 0 };
    const outbound: Record<string, number> = { audio: 0, video: 0 };
    let pairId = '';
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = String(s.selectedCandidatePairId);
      if (s.type === 'inbound-rtp') inbound[String(s.kind)] += Number(s.bytesReceived ?? 0);
      if (s.type === 'outbound-rtp') outbound[String(s.kind)] += Number(s.bytesSent ?? 0);
    });
    const pair = pairId ? report.get(pairId) : undefined;
    const cand = (id: unknown) => {
      const c = id ? report.get(String(id)) : undefined;
      return c && { type: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol, address: c.address, port: c.port };
    };
    return {
      connectionState: pc.connectionState,
      pair: pair && { state: pair.state, local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId) },
      inbound,
      outbound,
    };
  }
}
