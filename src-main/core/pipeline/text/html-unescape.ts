import { HTML5_ENTITIES, INVALID_CHARREFS, INVALID_CODEPOINTS } from './html5-entities';

/** Python's `html.unescape`'s pattern: numeric references and up to 32 name characters, `;` optional. */
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/**
 * Python's `html.unescape`, which CLIP's text clean-up applies twice: the full HTML5 table, names without
 * their semicolon where HTML5 allows it (the longest known prefix wins), and numeric references with HTML5's
 * replacements for invalid ones.
 */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (_match, body: string) => (body.startsWith('#') ? numericReference(body) : namedReference(body)));
}

function numericReference(body: string): string {
  const hex = body[1] === 'x' || body[1] === 'X';
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
  const codePoint = parseInt(digits, hex ? 16 : 10);
  const replacement = INVALID_CHARREFS.get(codePoint);
  if (replacement !== undefined) return replacement;
  if ((codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) return '\ufffd';
  if (INVALID_CODEPOINTS.has(codePoint)) return '';
  return String.fromCodePoint(codePoint);
}

function namedReference(body: string): string {
  const whole = HTML5_ENTITIES[body];
  if (whole !== undefined) return whole;
  for (let length = body.length - 1; length > 1; length--) {
    const prefix = HTML5_ENTITIES[body.slice(0, length)];
    if (prefix !== undefined) return prefix + body.slice(length);
  }
  return `&${body}`;
}
