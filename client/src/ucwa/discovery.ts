// Finds the user's UCWA server and signs her in (UCWA.md §1, §2): discovery root → `user`
// link → 401 naming the web-ticket service → password grant → `user` again with the token →
// `applications` link. Nothing about the server is hard-coded: the page's own origin is asked
// first (parleyd serves this client), then https://lyncdiscover.<domain>/.

import { NetworkError, UcwaError, linkOf, request, str, type Resource } from './http';

export type SignInErrorKind = 'address' | 'credentials' | 'disabled' | 'throttled' | 'not-found' | 'network' | 'server';

export class SignInError extends Error {
  constructor(
    readonly kind: SignInErrorKind,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message);
  }
}

export type SignedIn = {
  user: string; // "alice@example.org"
  token: string; // "cwt=..."
  expiresAt: number; // ms since the epoch
  applicationsUrl: string;
  userUrl: string;
};

const ADDRESS = /^[^\s@]+@([a-z0-9-]+(\.[a-z0-9-]+)+)$/i;

export function domainOf(address: string): string | undefined {
  return ADDRESS.exec(address.trim())?.[1]?.toLowerCase();
}

function rootCandidates(domain: string): string[] {
  const q = '?originalDomain=' + encodeURIComponent(domain);
  return [
    `${location.origin}/Autodiscover/AutodiscoverService.svc/root${q}`,
    `https://lyncdiscover.${domain}/${q}`,
  ];
}

// The `user` href of the first discovery root that answers for the domain.
async function discoverUserUrl(domain: string): Promise<string> {
  let lastProblem = '';
  for (const root of rootCandidates(domain)) {
    try {
      let url = root;
      // A root may send us on once (hybrid deployments); never loop.
      for (let hop = 0; hop < 2; hop++) {
        const r = await request('GET', url, { timeoutMs: 10000 });
        const user = linkOf(r.body ?? undefined, 'user');
        if (user) return new URL(user, url).toString();
        const redirect = linkOf(r.body ?? undefined, 'redirect');
        if (!redirect || !redirect.startsWith('https://')) break;
        url = redirect;
      }
    } catch (e) {
      lastProblem = e instanceof Error ? e.message : String(e);
    }
  }
  throw new SignInError('not-found', `No Parley server was found for ${domain}.` + (lastProblem ? '' : ''));
}

// MsRtcOAuth href="https://host/WebTicket/oauthtoken",grant_type="..."
export function webTicketUrl(wwwAuthenticate: string): string | undefined {
  const m = /MsRtcOAuth\s+href\s*=\s*"?([^",\s]+)"?/i.exec(wwwAuthenticate);
  return m?.[1];
}

export async function signIn(address: string, password: string): Promise<SignedIn> {
  const user = address.trim().toLowerCase();
  const domain = domainOf(user);
  if (!domain) throw new SignInError('address', 'Enter your sign-in address as name@domain, for example alice@example.org.');
  if (!password) throw new SignInError('credentials', 'Enter your password.');

  const userUrl = await discoverUserUrl(domain);

  // Unauthenticated: the 401 names the token service.
  let challenge: string | undefined;
  try {
    const r = await request('GET', userUrl, { allow: [401], timeoutMs: 15000 });
    if (r.status === 401) challenge = r.headers.get('WWW-Authenticate') ?? undefined;
  } catch (e) {
    throw new SignInError(e instanceof NetworkError ? 'network' : 'server', 'The server could not be reached. Check your connection and try again.');
  }
  const tokenUrl = challenge ? webTicketUrl(challenge) : undefined;
  if (!tokenUrl) throw new SignInError('server', 'The server did not offer password sign-in.');

  let token: Resource;
  try {
    const form = new URLSearchParams({ grant_type: 'password', username: user, password });
    const r = await request('POST', new URL(tokenUrl, userUrl).toString(), {
      body: form.toString(),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      timeoutMs: 20000,
    });
    token = r.body ?? {};
  } catch (e) {
    if (e instanceof UcwaError && e.status === 400 && e.code === 'invalid_grant') {
      if (e.retryAfter > 0)
        throw new SignInError('throttled', `Too many failed attempts. Try again in ${formatWait(e.retryAfter)}.`, e.retryAfter);
      // The server says so only to someone who gave the right password.
      if (/disabled/i.test(e.message))
        throw new SignInError('disabled', 'This account is disabled. Ask your administrator to enable it.');
      throw new SignInError('credentials', 'Sign-in failed: the password is wrong, or there is no such account.');
    }
    if (e instanceof NetworkError) throw new SignInError('network', 'The server could not be reached. Check your connection and try again.');
    throw new SignInError('server', 'The server could not sign you in right now. Try again later.');
  }
  const accessToken = str(token.access_token);
  if (!accessToken) throw new SignInError('server', 'The server answered without a token.');
  const expiresIn = Number(token.expires_in ?? 0) || 3600;

  // With the token, the user resource names the UCWA applications collection.
  let applicationsUrl: string | undefined;
  try {
    const r = await request('GET', userUrl, { token: accessToken, timeoutMs: 15000 });
    const apps = linkOf(r.body ?? undefined, 'applications');
    if (apps) applicationsUrl = new URL(apps, userUrl).toString();
  } catch (e) {
    if (e instanceof UcwaError && (e.status === 401 || e.status === 403))
      throw new SignInError('credentials', 'This account may not sign in here (it may be disabled).');
    throw new SignInError('server', 'The server could not sign you in right now. Try again later.');
  }
  if (!applicationsUrl) throw new SignInError('server', 'Your account is served by another pool this client cannot reach.');
  return { user, token: accessToken, expiresAt: Date.now() + expiresIn * 1000, applicationsUrl, userUrl };
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}
