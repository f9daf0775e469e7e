import { useState } from 'preact/hooks';

export function SignIn({ onSignIn, busy, error, notice }: {
  onSignIn: (user: string, password: string) => void;
  busy: boolean;
  error?: string;
  notice?: string;
}) {
  const [user, setUser] = useState(() => localStorage.getItem('parley.lastUser') ?? '');
  const [password, setPassword] = useState('');
  return (
    <main class="signin">
      <img class="signin-logo" src="/icons/icon.svg" alt="" width={64} height={64} />
      <h1>Sign in to Parley</h1>
      {notice && !error && <p class="notice" role="status">{notice}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          localStorage.setItem('parley.lastUser', user.trim());
          onSignIn(user, password);
        }}
      >
        <label for="signin-user">Sign-in address</label>
        <input id="signin-user" name="username" type="email" inputMode="email" autoComplete="username"
          placeholder="name@example.org" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        <label for="signin-password">Password</label>
        <input id="signin-password" name="password" type="password" autoComplete="current-password" required
          value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <div class="signin-error" role="alert" data-testid="signin-error">{error ?? ''}</div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p class="hint">Your server is found from your address (discovery); no server name needed.</p>
    </main>
  );
}
