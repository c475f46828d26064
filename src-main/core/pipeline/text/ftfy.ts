import { HTML5_ENTITIES } from './html5-entities';
import { pythonHtmlUnescape } from './html-unescape';

/**
 * ftfy's `fix_text` with its default settings (ftfy 6), which CLIP runs on every prompt before tokenizing:
 * HTML entities ending in `;` (and upper-cased Latin ones), C1 controls read as Windows-1252, Latin ligatures,
 * full- and half-width forms, curly quotes, line breaks, surrogates, terminal escapes, control characters and
 * NFC, repeated until nothing changes, line by line. Not reproduced: ftfy's mojibake repair (re-decoding text
 * that was decoded in the wrong encoding), which needs its statistical "badness" model and does not occur in
 * typed prompts.
 */
export function fixText(text: string): string {
  let out = '';
  let start = 0;
  // ftfy turns off entity decoding for the rest of the text once a segment holds a '<' (it may be HTML).
  let unescape = true;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    const segment = text.slice(start, end);
    if (segment.includes('<')) unescape = false;
    out += fixSegment(segment, unescape);
    start = end;
  }
  return out;
}

function fixSegment(segment: string, unescape: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescape) text = text.replace(FTFY_ENTITY, (entity) => ftfyEntity(entity));
    text = text.replace(C1_CONTROL, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);
    text = text.replace(LIGATURE, (c) => LIGATURES[c]!);
    text = text.replace(WIDE_OR_NARROW, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
    text = text.replace(DOUBLE_QUOTE, '"').replace(SINGLE_QUOTE, "'");
    text = text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
    text = text.replace(LONE_SURROGATE, '\ufffd');
    text = text.replace(TERMINAL_ESCAPE, '');
    text = text.replace(CONTROL_CHARACTER, '');
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy decodes only unambiguous references: named ones with their `;`, and numeric ones that consume it. */
function ftfyEntity(entity: string): string {
  const name = entity.slice(1);
  const named = HTML5_ENTITIES[name] ?? UPPERCASE_ENTITIES.get(name);
  if (named !== undefined) return named;
  if (entity.startsWith('&#')) {
    const decoded = pythonHtmlUnescape(entity);
    return decoded.includes(';') ? entity : decoded;
  }
  return entity;
}

/** `&EACUTE;` for `&eacute;`: ftfy reads upper-cased names of lower-case entities that mean nothing else. */
const UPPERCASE_ENTITIES: ReadonlyMap<string, string> = (() => {
  const table = new Map<string, string>();
  for (const [name, value] of Object.entries(HTML5_ENTITIES)) {
    if (!name.endsWith(';') || name !== name.toLowerCase()) continue;
    const upper = name.toUpperCase();
    // Python's str.upper() and JavaScript's both use Unicode's full case mapping (ß becomes SS).
    if (pythonHtmlUnescape(`&${upper}`) === `&${upper}`) table.set(upper, value.toUpperCase());
  }
  return table;
})();

const C1_CONTROL = /[\u0080-\u009f]/g;
/** Windows-1252's characters for bytes 0x80–0x9F; ftfy's "sloppy" codec keeps the five undefined ones as they are. */
const WINDOWS_1252_C1 = [
  '\u20ac', '\u0081', '\u201a', '\u0192', '\u201e', '\u2026', '\u2020', '\u2021',
  '\u02c6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008d', '\u017d', '\u008f',
  '\u0090', '\u2018', '\u2019', '\u201c', '\u201d', '\u2022', '\u2013', '\u2014',
  '\u02dc', '\u2122', '\u0161', '\u203a', '\u0153', '\u009d', '\u017e', '\u0178',
];

const LIGATURES: Readonly<Record<string, string>> = {
  'Ĳ': 'IJ', 'ĳ': 'ij', 'ŉ': 'ʼn', 'Ǳ': 'DZ', 'ǲ': 'Dz', 'ǳ': 'dz', 'Ǆ': 'DŽ', 'ǅ': 'Dž', 'ǆ': 'dž',
  'Ǉ': 'LJ', 'ǈ': 'Lj', 'ǉ': 'lj', 'Ǌ': 'NJ', 'ǋ': 'Nj', 'ǌ': 'nj',
  'ﬀ': 'ff', 'ﬁ': 'fi', 'ﬂ': 'fl', 'ﬃ': 'ffi', 'ﬄ': 'ffl', 'ﬅ': 'ſt', 'ﬆ': 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

/** The ideographic space and the half- and full-width forms block, which NFKC maps to ordinary characters. */
const WIDE_OR_NARROW = /[\u3000\uff01-\uffef]/g;
const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex -- an ANSI escape starts with the ESC control character
const TERMINAL_ESCAPE = /\u001b\[[\d;]*[a-zA-Z]/g;
// eslint-disable-next-line no-control-regex -- these control characters are exactly what ftfy removes
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;
