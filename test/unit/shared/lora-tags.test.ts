import { describe, expect, it } from 'vitest';
import { extractLoraTags } from '../../../src-main/core/adapters/prompt-tags';
import { promptLoras, renameLora, withLora, withLoraWeight, withoutLora, withWords } from '../../../src-shared/lora-tags';

describe('LoRA tags as the prompt box edits them', () => {
  it('reads the LoRAs a prompt names as the core does, a half-typed tag not yet one', () => {
    const prompt = 'a castle <lora:ink-style:0.7>, dusk <LORA:Detail Tweaker> <lyco:grain:0.3:0.5> <lora:half';
    expect(promptLoras(prompt)).toEqual([
      { name: 'ink-style', weight: 0.7 },
      { name: 'Detail Tweaker', weight: 1 },
      { name: 'grain', weight: 0.3 },
    ]);
    expect(extractLoraTags(prompt).tags.map(({ name, scale }) => ({ name, weight: scale }))).toEqual(promptLoras(prompt));
  });

  it('adds a tag at the end, changes its weight in place, and takes it out', () => {
    const added = withLora('a castle at dusk  ', 'ink-style', 0.8);
    expect(added).toBe('a castle at dusk <lora:ink-style:0.8>');
    expect(withLora('', 'ink-style', 1)).toBe('<lora:ink-style:1>');
    // Adding one that is there already only changes its weight.
    expect(withLora(added, 'ink-style', 0.45)).toBe('a castle at dusk <lora:ink-style:0.45>');
    expect(withLoraWeight('x <lora:a:1>, y <lora:ab:1>', 'a', 1.25)).toBe('x <lora:a:1.25>, y <lora:ab:1>');
    expect(withoutLora('x <lora:a:1>, y <lora:ab:1>', 'a')).toBe('x, y <lora:ab:1>');
    expect(withoutLora('<lora:a.b:1> x', 'a.b')).toBe('x');
  });

  it('puts trigger words before the trailing tags, once, and renames a tag keeping its weights', () => {
    expect(withWords('a castle <lora:ink:0.7>', 'ink wash')).toBe('a castle, ink wash <lora:ink:0.7>');
    expect(withWords('a castle, ink wash <lora:ink:0.7>', 'ink wash')).toBe('a castle, ink wash <lora:ink:0.7>');
    expect(withWords('', 'ink wash')).toBe('ink wash');
    expect(withWords('<lora:a:1> castle', 'ink')).toBe('<lora:a:1> castle, ink');
    expect(renameLora('x <lora:old:0.5:0.2> <lora:older:1>', 'old', 'new')).toBe('x <lora:new:0.5:0.2> <lora:older:1>');
  });
});
