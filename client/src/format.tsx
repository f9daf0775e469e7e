// Message text on screen, safely: plain text gets light formatting (*bold*, _italic_, links) and
// HTML messages keep only a small set of harmless elements. Nothing is ever assigned to
// innerHTML; everything becomes Preact nodes.
import type { ComponentChildren } from 'preact';

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function links(text: string, key: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index! > last) out.push(text.slice(last, m.index));
    out.push(
      <a key={`${key}-${i++}`} href={m[0]} target="_blank" rel="noopener noreferrer">
        {m[0]}
      </a>,
    );
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// *bold* and _italic_ around words, like most chat clients.
export function formatPlain(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  const re = /(\*[^*\s][^*]*\*|_[^_\s][^_]*_)/g;
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > last) out.push(...links(text.slice(last, m.index), `t${i}`));
    const inner = m[0].slice(1, -1);
    out.push(m[0][0] === '*' ? <strong key={`b${i}`}>{links(inner, `b${i}`)}</strong> : <em key={`i${i}`}>{links(inner, `i${i}`)}</em>);
    i++;
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push(...links(text.slice(last), `t${i}`));
  return out;
}

const ALLOWED = new Set(['b', 'strong', 'i', 'em', 'u', 'br', 'p', 'div', 'span', 'ul', 'ol', 'li', 'code', 'pre', 'a']);

function convert(node: Node, key: string): ComponentChildren {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? '';
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const el = node as Element;
  const tag = el.tagName.toLowerCase();
  const children = Array.from(el.childNodes, (c, i) => convert(c, `${key}.${i}`));
  if (!ALLOWED.has(tag)) return children; // unknown element: keep its text only
  if (tag === 'a') {
    const href = el.getAttribute('href') ?? '';
    if (!/^https?:\/\//i.test(href)) return children;
    return (
      <a key={key} href={href} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    );
  }
  if (tag === 'br') return <br key={key} />;
  const Tag = tag as 'b';
  return <Tag key={key}>{children}</Tag>;
}

export function formatHtml(html: string): ComponentChildren {
  // DOMParser documents are inert: no script runs and nothing loads.
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const bad of Array.from(doc.querySelectorAll('script,style,iframe,object,embed,img,svg,math,template'))) bad.remove();
  return Array.from(doc.body.childNodes, (c, i) => convert(c, String(i)));
}

export function messageBody(text: string, html?: string): ComponentChildren {
  return html ? formatHtml(html) : formatPlain(text);
}

export function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function dateTimeOf(ms: number): string {
  return new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
