// The HTTP layer of the UCWA client: JSON requests with the bearer token, UCWA error bodies
// turned into UcwaError, and network trouble into NetworkError (so callers can tell "the
// server said no" from "we could not reach it").

export type Link = { href: string; title?: string; revision?: string };
export type Resource = {
  rel?: string;
  _links?: Record<string, Link | Link[]>;
  _embedded?: Record<string, Resource | Resource[]>;
  [property: string]: unknown;
};

export class UcwaError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly subcode: string,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message || `${status} ${code}${subcode ? ' / ' + subcode : ''}`);
  }
}

export class NetworkError extends Error {}

export function linkOf(resource: Resource | undefined, rel: string): string | undefined {
  const l = resource?._links?.[rel];
  if (!l) return undefined;
  return Array.isArray(l) ? l[0]?.href : l.href;
}

export function embedded(resource: Resource | undefined, rel: string): Resource | undefined {
  const e = resource?._embedded?.[rel];
  return Array.isArray(e) ? e[0] : e;
}

export function embeddedList(resource: Resource | undefined, rel: string): Resource[] {
  const e = resource?._embedded?.[rel];
  if (!e) return [];
  return Array.isArray(e) ? e : [e];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export type Reply = { status: number; headers: Headers; body: Resource | null; text: string };

export type RequestOptions = {
  token?: string;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  allow?: number[]; // statuses that are not errors for this call
};

export async function request(method: string, url: string, o: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  o.signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(() => controller.abort(), o.timeoutMs ?? 30000);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: o.body,
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
    text = await response.text();
  } catch (e) {
    throw new NetworkError(o.signal?.aborted ? 'aborted' : e instanceof Error ? e.message : String(e));
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  let body: Resource | null = null;
  if (text && (response.headers.get('Content-Type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text) as Resource;
    } catch {
      body = null;
    }
  }
  const ok = (response.status >= 200 && response.status < 300) || o.allow?.includes(response.status);
  if (!ok) {
    const retry = Number(response.headers.get('Retry-After') ?? '0') || 0;
    throw new UcwaError(
      response.status,
      str(body?.code) || str(body?.error) || String(response.status),
      str(body?.subcode),
      str(body?.message) || str(body?.error_description),
      retry,
    );
  }
  return { status: response.status, headers: response.headers, body, text };
}

// Text of an RFC 2397 data URI as UCWA sends message bodies ("data:text/plain;charset=utf-8,Hi+there").
export function dataUriText(uri: string): string {
  const comma = uri.indexOf(',');
  if (comma < 0) return '';
  const meta = uri.slice(0, comma);
  const payload = uri.slice(comma + 1);
  try {
    if (meta.endsWith(';base64')) {
      const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
      return new TextDecoder().decode(bytes);
    }
    return decodeURIComponent(payload.replace(/\+/g, ' '));
  } catch {
    return payload;
  }
}

export function dataUri(text: string): string {
  return 'data:text/plain;charset=utf-8,' + encodeURIComponent(text);
}

export function resolve(href: string, base: string): string {
  return new URL(href, base).toString();
}

export function newId(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// "sip:Bob@Example.org" -> "bob@example.org"
export function keyOf(uri: string): string {
  return uri.replace(/^sip:/i, '').toLowerCase();
}
