import type { ComponentChildren } from 'preact';

const LABELS: Record<string, string> = {
  Online: 'Available',
  IdleOnline: 'Inactive',
  Busy: 'Busy',
  IdleBusy: 'Busy (inactive)',
  DoNotDisturb: 'Do not disturb',
  BeRightBack: 'Be right back',
  Away: 'Away',
  Offwork: 'Off work',
  Offline: 'Offline',
  Unknown: 'Presence unknown',
};

export function availabilityLabel(a: string): string {
  return LABELS[a] ?? a;
}

function dotClass(a: string): string {
  if (a === 'Online') return 'dot dot-online';
  if (a === 'IdleOnline' || a === 'BeRightBack' || a === 'Away' || a === 'Offwork') return 'dot dot-away';
  if (a === 'Busy' || a === 'IdleBusy') return 'dot dot-busy';
  if (a === 'DoNotDisturb') return 'dot dot-dnd';
  return 'dot dot-offline';
}

export function PresenceDot({ availability }: { availability: string }) {
  return <span class={dotClass(availability)} data-availability={availability} aria-hidden="true" />;
}

export function Badge({ count, label, testid = 'badge' }: { count: number; label: string; testid?: string }) {
  if (!count) return null;
  return (
    <span class="badge" aria-label={`${count} ${label}`} data-testid={testid}>
      {count > 99 ? '99+' : count}
    </span>
  );
}

export function Screen({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="screen" aria-labelledby="screen-title">
      <div class="screen-head">
        <h1 id="screen-title" tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </section>
  );
}
