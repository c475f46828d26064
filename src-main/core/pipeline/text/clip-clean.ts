import { fixText } from './ftfy';
import { pythonHtmlUnescape } from './html-unescape';

/** Python's `\s` (and the `regex` module's) for str patterns: JavaScript's set less U+FEFF, plus U+0085. */
export const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'g');
/** `str.strip()` also strips the ASCII separators U+001C–U+001F, which `\s` does not match. */
const EDGE_SPACE = new RegExp(`^[${PYTHON_WHITESPACE}\\u001c-\\u001f]+|[${PYTHON_WHITESPACE}\\u001c-\\u001f]+$`, 'g');

/**
 * CLIP's text clean-up before BPE, as OpenAI's tokenizer does it: `ftfy.fix_text`, `html.unescape` twice,
 * whitespace runs folded to one space, trimmed, lower-cased.
 */
export function clipCleanText(text: string): string {
  const unescaped = pythonHtmlUnescape(pythonHtmlUnescape(fixText(text))).replace(EDGE_SPACE, '');
  return unescaped.replace(WHITESPACE_RUN, ' ').replace(EDGE_SPACE, '').toLowerCase();
}
