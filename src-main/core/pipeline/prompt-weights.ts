/**
 * AUTOMATIC1111's attention syntax, parsed as its `parse_prompt_attention` does:
 * `(text)` ×1.1, `[text]` ÷1.1, `(text:1.3)` ×1.3, nesting multiplies, `\(` `\)` `\[` `\]` `\\` are
 * literal, a bracket left open applies to the end of the prompt, a stray closing bracket is literal text,
 * and `BREAK` (uppercase, a word of its own) starts a new 75-token chunk.
 */
export interface PromptFragment {
  text: string;
  weight: number;
}

/** The fragment that stands for a `BREAK` (A1111 marks it the same way: text "BREAK", weight -1). */
export const BREAK_FRAGMENT: Readonly<PromptFragment> = Object.freeze({ text: 'BREAK', weight: -1 });

export function isBreak(fragment: PromptFragment): boolean {
  return fragment.weight === BREAK_FRAGMENT.weight && fragment.text === BREAK_FRAGMENT.text;
}

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

const ATTENTION_TOKEN =
  /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;
const BREAK_SEPARATOR = /\s*\bBREAK\b\s*/;

export function parsePromptWeights(prompt: string): PromptFragment[] {
  const fragments: PromptFragment[] = [];
  const roundOpenings: number[] = [];
  const squareOpenings: number[] = [];

  // Multiplying each fragment in turn (rather than folding the factors first) keeps A1111's exact
  // floating-point results, e.g. 1.3 * 1.1 * 1.1 = 1.5730000000000004. A BREAK inside brackets stays a
  // BREAK (A1111 would scale its marker and then tokenize the word "BREAK").
  const multiplyFrom = (start: number, multiplier: number): void => {
    for (let i = start; i < fragments.length; i++) {
      const fragment = fragments[i]!;
      if (!isBreak(fragment)) fragment.weight *= multiplier;
    }
  };

  for (const match of prompt.matchAll(ATTENTION_TOKEN)) {
    const token = match[0];
    const explicitWeight = match[1] === undefined ? Number.NaN : Number(match[1]);
    if (token.startsWith('\\')) {
      fragments.push({ text: token.slice(1), weight: 1 });
    } else if (token === '(') {
      roundOpenings.push(fragments.length);
    } else if (token === '[') {
      squareOpenings.push(fragments.length);
    } else if (Number.isFinite(explicitWeight) && roundOpenings.length > 0) {
      multiplyFrom(roundOpenings.pop()!, explicitWeight);
    } else if (token === ')' && roundOpenings.length > 0) {
      multiplyFrom(roundOpenings.pop()!, ROUND_MULTIPLIER);
    } else if (token === ']' && squareOpenings.length > 0) {
      multiplyFrom(squareOpenings.pop()!, SQUARE_MULTIPLIER);
    } else {
      token.split(BREAK_SEPARATOR).forEach((part, index) => {
        if (index > 0) fragments.push({ ...BREAK_FRAGMENT });
        fragments.push({ text: part, weight: 1 });
      });
    }
  }
  for (const start of roundOpenings) multiplyFrom(start, ROUND_MULTIPLIER);
  for (const start of squareOpenings) multiplyFrom(start, SQUARE_MULTIPLIER);

  if (fragments.length === 0) return [{ text: '', weight: 1 }];
  return mergeEqualWeights(fragments);
}

/** Joins neighbours of equal weight; BREAK markers never join (A1111 would glue two into "BREAKBREAK"). */
function mergeEqualWeights(fragments: PromptFragment[]): PromptFragment[] {
  const merged: PromptFragment[] = [];
  for (const fragment of fragments) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.weight === fragment.weight && !isBreak(last) && !isBreak(fragment)) {
      last.text += fragment.text;
    } else {
      merged.push({ ...fragment });
    }
  }
  return merged;
}
