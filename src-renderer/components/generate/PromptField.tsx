import { useEffect, useState } from 'react';
import type { TokenCount } from '../../../src-preload/api';
import { easel } from '../../bridge';

const CHUNK = 75;

/** Counts tokens a moment after typing stops, since each count is a round trip to the core. */
function useTokenCount(modelId: string | null, text: string): TokenCount | null {
  const [count, setCount] = useState<{ key: string; value: TokenCount } | null>(null);
  const key = `${modelId}\u0000${text}`;
  useEffect(() => {
    if (!modelId || text.trim() === '') return;
    let live = true;
    const timer = window.setTimeout(async () => {
      const result = await easel.prompt.countTokens({ modelId, prompt: text });
      if (live && result.ok) setCount({ key, value: result.value });
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [modelId, text, key]);
  if (text.trim() === '') return { tokens: 0, chunks: 1 };
  return count?.value ?? null;
}

function TokenCounter({ modelId, text, id }: { modelId: string | null; text: string; id: string }) {
  const count = useTokenCount(modelId, text);
  if (!modelId) return null;
  if (!count) return <span id={id} className="token-count" aria-live="polite">counting…</span>;
  const chunks = Math.max(1, count.chunks);
  const title = `The text encoder reads ${CHUNK} tokens at a time; longer prompts are split into chunks of ${CHUNK}.`;
  return (
    <span id={id} className={chunks > 1 ? 'token-count over' : 'token-count'} title={title} aria-live="polite">
      {count.tokens}/{chunks * CHUNK} tokens{chunks > 1 ? ` · ${chunks} chunks` : ''}
    </span>
  );
}

interface PromptFieldProps {
  label: string;
  value: string;
  placeholder: string;
  rows: number;
  modelId: string | null;
  onChange(value: string): void;
}

export function PromptField({ label, value, placeholder, rows, modelId, onChange }: PromptFieldProps) {
  const id = `prompt-${label.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    <div className="field prompt-field">
      <div className="field-label">
        <label htmlFor={id}>{label}</label>
        <TokenCounter modelId={modelId} text={value} id={`${id}-tokens`} />
      </div>
      <textarea
        id={id}
        rows={rows}
        value={value}
        placeholder={placeholder}
        aria-describedby={`${id}-tokens`}
        spellCheck
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
