import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipCleanText } from '../../../../src-main/core/pipeline/text/clip-clean';
import { fixText } from '../../../../src-main/core/pipeline/text/ftfy';
import { pythonHtmlUnescape } from '../../../../src-main/core/pipeline/text/html-unescape';
import { ClipTokenizer } from '../../../../src-main/core/pipeline/tokenizer';
import { sharedPath } from '../../../helpers/shared';

/**
 * Made by tools/reference/clip_ftfy_reference.py: OpenAI CLIP's clean-up (ftfy 6.3.1's fix_text, html.unescape
 * twice, whitespace folding, lower-casing) and BPE on hand-written hard cases and PartiPrompts (Apache-2.0,
 * google-research/parti): every prompt there with a character outside ASCII or an `&`, and every 12th of the rest.
 */
interface ReferenceCase {
  prompt: string;
  cleaned: string;
  ids: number[];
}
const reference = JSON.parse(
  readFileSync(path.join(__dirname, '../../../fixtures/tokenizer/clip-ftfy-reference.json'), 'utf8'),
) as { cases: ReferenceCase[] };

let tokenizer: ClipTokenizer;
beforeAll(async () => {
  tokenizer = await ClipTokenizer.load(sharedPath('data', 'clip-bpe'));
});

describe('CLIP text clean-up', () => {
  it('cleans every reference prompt exactly as ftfy + html.unescape + CLIP do', () => {
    const wrong = reference.cases.filter((c) => clipCleanText(c.prompt) !== c.cleaned);
    expect(wrong.map((c) => ({ prompt: c.prompt, got: clipCleanText(c.prompt), want: c.cleaned }))).toEqual([]);
    expect(reference.cases.length).toBeGreaterThan(150);
  });

  it('tokenizes every reference prompt to the reference ids', () => {
    const wrong = reference.cases.filter((c) => JSON.stringify(tokenizer.encode(c.prompt)) !== JSON.stringify(c.ids));
    expect(wrong.map((c) => c.prompt)).toEqual([]);
  });

  it('undoes typographic and width variants the way ftfy does', () => {
    expect(fixText('a corgi’s “best”')).toBe('a corgi\'s "best"');
    expect(fixText('ＬＯＵＤ　ＮＯＩＳＥＳ')).toBe('LOUD NOISES');
    expect(fixText('ﬂubberiﬁc')).toBe('flubberific');
    expect(fixText('what \u0085 is')).toBe('what … is');
    expect(fixText('P&EACUTE;REZ &eacute; &copy')).toBe('PÉREZ é &copy');
    expect(fixText('<b> &eacute;')).toBe('<b> &eacute;');
  });

  it('unescapes as Python does, semicolons optional and invalid references replaced', () => {
    expect(pythonHtmlUnescape('&copy &notit; &amp;lt; &#128; &#0; &#xD800; &#1; &#x1F600;')).toBe('© ¬it; &lt; € \ufffd \ufffd  😀');
  });
});
