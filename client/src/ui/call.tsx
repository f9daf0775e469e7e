// The call screen: ringing (outgoing and incoming), the call with its controls and dial pad, and
// how it ended. It covers the whole app while a call is on.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallInfo } from '../store';
import type { CallController } from '../ucwa/calls';

const KEYS: [string, string][] = [
  ['1', '1'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', '5'], ['6', '6'],
  ['7', '7'], ['8', '8'], ['9', '9'], ['*', 'star'], ['0', '0'], ['#', 'hash'],
];

export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function Timer({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span class="call-timer" data-testid="call-timer" role="timer">{clock((now - since) / 1000)}</span>;
}

function Video({ stream, muted, cls, testid, version }: { stream?: MediaStream; muted: boolean; cls: string; testid: string; version: number }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== (stream ?? null)) v.srcObject = stream ?? null;
    if (stream) void v.play().catch(() => undefined);
  }, [stream, version]);
  return <video ref={ref} class={cls} data-testid={testid} autoplay playsInline muted={muted} />;
}

function statusText(c: CallInfo): string {
  switch (c.phase) {
    case 'outgoing': return c.videoOffered ? 'Video calling…' : 'Calling…';
    case 'incoming': return c.videoOffered ? 'Incoming video call' : 'Incoming call';
    case 'connecting': return 'Connecting…';
    case 'ended': return c.notice ?? 'Call ended.';
    default:
      if (c.held) return 'On hold';
      if (c.heldBy) return `Held by ${c.heldBy}`;
      return c.media === 'connected' ? 'In call' : c.media === 'failed' ? 'Media failed' : 'Connecting media…';
  }
}

function Toggle({ on, label, onLabel, testid, onClick, disabled }: {
  on: boolean; label: string; onLabel: string; testid: string; onClick: () => void; disabled?: boolean;
}) {
  return (
    <button type="button" class={on ? 'call-btn on' : 'call-btn'} aria-pressed={on} data-testid={testid} onClick={onClick} disabled={disabled}>
      {on ? onLabel : label}
    </button>
  );
}

export function CallScreen({ call: c, calls }: { call: CallInfo; calls: CallController }) {
  const [pad, setPad] = useState(false);
  const [dialled, setDialled] = useState('');
  const inCall = c.phase === 'connected';
  return (
    <section class={`call call-${c.phase}`} role="dialog" aria-modal="true" aria-labelledby="call-peer" data-testid="call" data-phase={c.phase}
      data-media={c.media} data-video={String(c.video)} data-remote-video={String(c.remoteVideo)} data-held={String(c.held)}
      data-held-by={c.heldBy ?? ''} data-muted={String(c.muted)} data-busy={String(c.busy)}>
      <Video stream={calls.remoteStream} muted={false} cls={c.remoteVideo ? 'call-remote' : 'call-remote hidden'} testid="remote-video" version={c.streams} />
      <div class="call-top">
        <h1 id="call-peer" data-testid="call-peer">{c.peerName}</h1>
        <p class="call-status" role="status" aria-live="polite" data-testid="call-state" data-state={c.phase}>{statusText(c)}</p>
        {inCall && c.answeredAt && <Timer since={c.answeredAt} />}
        {c.restriction && <p class="call-restriction" role="status" data-testid="call-restriction">{c.restriction}</p>}
        {c.notice && c.phase !== 'ended' && <p class="call-notice" role="alert" data-testid="call-notice">{c.notice}</p>}
      </div>
      {c.video && <Video stream={calls.localStream} muted cls="call-self" testid="local-video" version={c.streams} />}
      {pad && inCall && (
        <div class="dialpad" role="group" aria-label="Dial pad" data-testid="dialpad">
          <output class="dialled" data-testid="dialled">{dialled}</output>
          {KEYS.map(([k, id]) => (
            <button type="button" key={id} data-testid={`dtmf-${id}`} onClick={() => { setDialled((d) => d + k); calls.dtmf(k); }}>{k}</button>
          ))}
        </div>
      )}
      <div class="call-actions">
        {c.phase === 'incoming' && (
          <>
            <button type="button" class="call-btn accept" data-testid="call-accept-audio" onClick={() => void calls.accept(false)}>Answer</button>
            {c.videoOffered && (
              <button type="button" class="call-btn accept" data-testid="call-accept-video" onClick={() => void calls.accept(true)}>Answer with video</button>
            )}
            <button type="button" class="call-btn end" data-testid="call-decline" onClick={() => void calls.decline()}>Decline</button>
          </>
        )}
        {(c.phase === 'outgoing' || c.phase === 'connecting') && (
          <button type="button" class="call-btn end" data-testid="call-cancel" onClick={() => void calls.hangUp()}>{c.phase === 'outgoing' ? 'Cancel' : 'Hang up'}</button>
        )}
        {inCall && (
          <>
            <Toggle on={c.muted} label="Mute" onLabel="Unmute" testid="call-mute" onClick={() => calls.toggleMute()} />
            <Toggle on={c.video} label="Video on" onLabel="Video off" testid="call-video" disabled={c.busy} onClick={() => void calls.setVideo(!c.video)} />
            {c.video && c.canSwitchCamera && (
              <button type="button" class="call-btn" data-testid="call-switch-camera" onClick={() => void calls.switchCamera()}>
                {c.facing === 'user' ? 'Back camera' : 'Front camera'}
              </button>
            )}
            <Toggle on={pad} label="Keypad" onLabel="Hide keypad" testid="call-keypad" onClick={() => setPad(!pad)} />
            <Toggle on={c.held} label="Hold" onLabel="Resume" testid="call-hold" disabled={c.busy} onClick={() => void calls.setHold(!c.held)} />
            <button type="button" class="call-btn end" data-testid="call-hangup" onClick={() => void calls.hangUp()}>Hang up</button>
          </>
        )}
        {c.phase === 'ended' && (
          <button type="button" class="call-btn" data-testid="call-close" onClick={() => calls.dismiss()}>Close</button>
        )}
      </div>
    </section>
  );
}

// The two call buttons on a contact and in a chat.
export function CallButtons({ peer, name, calls, busy }: { peer: string; name: string; calls: CallController; busy: boolean }) {
  return (
    <span class="call-buttons">
      <button type="button" class="icon-btn" disabled={busy} aria-label={`Call ${name}`} data-testid={`call-audio-${peer}`}
        onClick={() => void calls.start(peer, name, false)}>Call</button>
      <button type="button" class="icon-btn" disabled={busy} aria-label={`Video call ${name}`} data-testid={`call-video-${peer}`}
        onClick={() => void calls.start(peer, name, true)}>Video</button>
    </span>
  );
}
