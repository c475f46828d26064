/**
 * A1111's `<lora:NAME:WEIGHT>` tags as the prompt box edits them: which LoRAs a prompt names and at what weight,
 * adding one, changing a weight, taking one out. The core reads the same tags (adapters/prompt-tags); here they
 * are only text, so a half-typed tag is simply not a tag yet.
 */

export interface PromptLora {
  name: string;
  weight: number;
}

const TAG = /<(?:lora|lyco):([^:>]+)(?::([^:>]*))?(?::[^>]*)?>/gi;

function escapeName(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tagPattern(name: string): RegExp {
  return new RegExp(`<(?:lora|lyco):${escapeName(name)}(?::[^>]*)?>`, 'gi');
}

/** The LoRAs a prompt names, once each, in the order first written; a tag without a weight has weight 1. */
export function promptLoras(prompt: string): PromptLora[] {
  const found = new Map<string, PromptLora>();
  for (const match of prompt.matchAll(TAG)) {
    const name = match[1]!.trim();
    const weight = match[2] === undefined || match[2].trim() === '' ? 1 : Number(match[2]);
    if (name !== '' && Number.isFinite(weight) && !found.has(name)) found.set(name, { name, weight });
  }
  return [...found.values()];
}

/** Weights written as people write them: 0.8, 1, 0.65. */
export function formatWeight(weight: number): string {
  return String(Math.round(weight * 100) / 100);
}

export function loraTag(name: string, weight: number): string {
  return `<lora:${name}:${formatWeight(weight)}>`;
}

/** Adds the tag at the end of the prompt, or changes its weight when the prompt names the LoRA already. */
export function withLora(prompt: string, name: string, weight: number): string {
  if (promptLoras(prompt).some((lora) => lora.name === name)) return withLoraWeight(prompt, name, weight);
  const trimmed = prompt.trimEnd();
  return trimmed === '' ? loraTag(name, weight) : `${trimmed} ${loraTag(name, weight)}`;
}

export function withLoraWeight(prompt: string, name: string, weight: number): string {
  return prompt.replace(tagPattern(name), loraTag(name, weight));
}

/** Takes every tag naming the LoRA out, with the space before it. */
export function withoutLora(prompt: string, name: string): string {
  return prompt.replace(new RegExp(`[ \\t]*${tagPattern(name).source}`, 'gi'), '').trim();
}

/** Renames the LoRA in its tags, keeping each tag's weights (an A1111 image naming a file that is installed under another name). */
export function renameLora(prompt: string, from: string, to: string): string {
  return prompt.replace(new RegExp(`<(lora|lyco):${escapeName(from)}((?::[^>]*)?)>`, 'gi'), (_whole, kind: string, rest: string) => `<${kind}:${to}${rest}>`);
}

/** Adds words (a LoRA's trigger words) to the end of the prompt, before its LoRA tags, unless already there. */
export function withWords(prompt: string, words: string): string {
  if (prompt.toLowerCase().includes(words.toLowerCase())) return prompt;
  const tags = [...prompt.matchAll(TAG)];
  const firstTrailingTag = tags.length > 0 && prompt.slice(tags[0]!.index).replace(TAG, '').trim() === '' ? tags[0]!.index : prompt.length;
  const text = prompt.slice(0, firstTrailingTag).trimEnd();
  const trailing = prompt.slice(firstTrailingTag).trim();
  const joined = text === '' ? words : /[,;]$/.test(text) ? `${text} ${words}` : `${text}, ${words}`;
  return trailing === '' ? joined : `${joined} ${trailing}`;
}
