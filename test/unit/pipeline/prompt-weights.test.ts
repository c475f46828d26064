import { describe, expect, it } from 'vitest';
import { BREAK_FRAGMENT, isBreak, parsePromptWeights } from '../../../src-main/core/pipeline/prompt-weights';

const pairs = (prompt: string): Array<[string, number]> =>
  parsePromptWeights(prompt).map((fragment) => [fragment.text, fragment.weight]);

describe('parsePromptWeights: the examples in A1111 parse_prompt_attention', () => {
  it.each<[string, Array<[string, number]>]>([
    ['normal text', [['normal text', 1]]],
    ['an (important) word', [['an ', 1], ['important', 1.1], [' word', 1]]],
    ['(unbalanced', [['unbalanced', 1.1]]],
    ['\\(literal\\]', [['(literal]', 1]]],
    ['(unnecessary)(parens)', [['unnecessaryparens', 1.1]]],
    [
      'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).',
      [
        ['a ', 1],
        ['house', 1.5730000000000004],
        [' ', 1.1],
        ['on', 1],
        [' a ', 1.1],
        ['hill', 0.55],
        [', sun, ', 1.1],
        ['sky', 1.4641000000000006],
        ['.', 1.1],
      ],
    ],
  ])('%s', (prompt, expected) => {
    expect(pairs(prompt)).toEqual(expected);
  });
});

describe('parsePromptWeights', () => {
  it('applies explicit, nested, round and square weights', () => {
    expect(pairs('a (word:1.5)')).toEqual([['a ', 1], ['word', 1.5]]);
    expect(pairs('((a))')).toEqual([['a', 1.1 * 1.1]]);
    expect(pairs('[b]')).toEqual([['b', 1 / 1.1]]);
    expect(pairs('[[b]]')).toEqual([['b', 1 / 1.1 / 1.1]]);
    expect(pairs('((cat:1.2) dog)')).toEqual([['cat', 1.2 * 1.1], [' dog', 1.1]]);
    expect(pairs('[(x)]')).toEqual([['x', 1.1 / 1.1]]);
    expect(pairs('(x: 0.7 )')).toEqual([['x', 0.7]]);
    expect(pairs('(neg:-1)')).toEqual([['neg', -1]]);
  });

  it('keeps escaped brackets and backslashes as text', () => {
    expect(pairs('\\(literal\\)')).toEqual([['(literal)', 1]]);
    expect(pairs('\\[x\\]')).toEqual([['[x]', 1]]);
    expect(pairs('a\\\\b')).toEqual([['a\\b', 1]]);
    expect(pairs('(\\(x\\))')).toEqual([['(x)', 1.1]]);
  });

  it('treats brackets left open as closed at the end and stray closers as text', () => {
    expect(pairs('a [b')).toEqual([['a ', 1], ['b', 1 / 1.1]]);
    expect(pairs('a) b]')).toEqual([['a) b]', 1]]);
    expect(pairs('ratio 16:9')).toEqual([['ratio 16:9', 1]]);
    expect(pairs('x:1.2)')).toEqual([['x:1.2)', 1]]);
    expect(pairs('(a:1.2.3)')).toEqual([['a:1.2.3)', 1.1]]);
  });

  it('turns an uppercase BREAK word into a marker and swallows the spaces around it', () => {
    const fragments = parsePromptWeights('a cat BREAK a dog');
    expect(fragments).toEqual([{ text: 'a cat', weight: 1 }, BREAK_FRAGMENT, { text: 'a dog', weight: 1 }]);
    expect(fragments.map(isBreak)).toEqual([false, true, false]);
    expect(pairs('BREAKFAST break (Break)')).toEqual([['BREAKFAST break ', 1], ['Break', 1.1]]);
    expect(parsePromptWeights('a BREAK BREAK b').filter(isBreak)).toHaveLength(2);
    expect(parsePromptWeights('(a BREAK b)')).toEqual([
      { text: 'a', weight: 1.1 },
      BREAK_FRAGMENT,
      { text: 'b', weight: 1.1 },
    ]);
  });

  it('gives one empty fragment for an empty prompt', () => {
    expect(pairs('')).toEqual([['', 1]]);
    expect(pairs('()')).toEqual([['', 1]]);
  });
});
