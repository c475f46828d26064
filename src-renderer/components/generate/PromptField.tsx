import { useEffect, useState } from 'react';
import type { TokenCount } from '../../../src-preload/api';
import { easel } from '../../bridge';

const CHUNK = 75;

type CountState = { status: 'counting' } | { status: 'failed' } | { status: 'ready'; value: TokenCount };

/** Counts tokens a moment after typing stops, since each count is a round trip to the core. */
function useTokenCount(modelId: string | null, text: string): CountState {
  // Each answer is kept with the model and text it counted, so it never shows for another text or model.
  const [answer, setAnswer] = useState<{ key: string; value: TokenCount | null } | null>(null);
  const key = `${modelId}\u0000${text}`;
  useEffect(() => {
    if (!modelId || text.trim() === '') return;
    let live = true;
    const timer = window.setTimeout(() => {
      easel.prompt.countTokens({ modelId, prompt: text }).then(
        (result) => live && setAnswer({ key, value: result.ok ? result.value : null }),
        () => live && setAnswer({ key, value: null }),
      );
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [modelId, text, key]);
  if (text.trim() === '') return { status: 'ready', value: { tokens: 0, chunks: 1 } };
  if (answer?.key !== key) return { status: 'counting' };
  return answer.value ? { status: 'ready', value: answer.value } : { status: 'failed' };
}

function TokenCounter({ modelId, text, id }: { modelId: string | null; text: string; id: string }) {
  const count = useTokenCount(modelId, text);
  if (!modelId) return null;
  if (count.status !== 'ready') {
    return (
      <span id={id} className="token-count" aria-live="polite">
        {count.status === 'counting' ? 'counting…' : 'count unavailable'}
      </span>
    );
  }
  const chunks = Math.max(1, count.value.chunks);
  const title = `The text encoder reads ${CHUNK} tokens at a time; longer prompts are split into chunks of ${CHUNK}.`;
  return (
    <span id={id} className={chunks > 1 ? 'token-count over' : 'token-count'} title={title} aria-live="polite">
      {count.value.tokens}/{chunks * CHUNK} tokens{chunks > 1 ? ` · ${chunks} chunks` : ''}
    </span>
  );
}

interface PromptFieldProps {
  label: string;
  value: string;
  placeholder: string;
  rows: number;
  modelId: string | null;
  /** More text that explains the field (what the model can draw). */
  describedBy?: string;
  onChange(value: string): void;
}

export function PromptField({ label, value, placeholder, rows, modelId, describedBy, onChange }: PromptFieldProps) {
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
        aria-describedby={describedBy ? `${id}-tokens ${describedBy}` : `${id}-tokens`}
        spellCheck
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
