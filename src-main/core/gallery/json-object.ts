/** Parses text that other apps wrote into a PNG as a JSON object; anything else (or broken JSON) gives null. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
}
