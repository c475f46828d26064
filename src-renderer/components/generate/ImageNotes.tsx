import type { ImageMetadata } from '../../../src-preload/api';
import { providerLabels } from '../../provider-labels';

export function PlaceholderBadge() {
  return (
    <span className="badge placeholder-badge" title="Every way of running the model failed, so Easel drew a labelled placeholder">
      PLACEHOLDER
    </span>
  );
}

/** The providers named by notes such as "WebGPU skipped: could not load the unet …". */
function skippedProviders(notes: string[]): string[] {
  const names = notes.map((note) => /^(.+?) skipped:/.exec(note)?.[1]).filter((name): name is string => Boolean(name));
  return [...new Set(names)];
}

function NoteDetails({ notes }: { notes: string[] }) {
  return (
    <details>
      <summary>Details</summary>
      <ul>
        {notes.map((note) => (
          <li key={note}>{note}</li>
        ))}
      </ul>
    </details>
  );
}

/**
 * Why an image is not what the model would draw on the preferred hardware: a placeholder, or providers
 * that failed and were skipped. One line says what happened; the technical reasons fold away.
 */
export function ImageNotes({ meta }: { meta: ImageMetadata }) {
  if (meta.placeholder) {
    return (
      <div className="notice warning" role="status">
        <strong>This is a placeholder, not a generated image:</strong> every way of running the model failed. Verify the
        model on the Models screen, or choose “CPU only” under Settings → Run models on.
        {meta.notes.length > 0 && <NoteDetails notes={meta.notes} />}
      </div>
    );
  }
  if (meta.notes.length === 0) return null;
  const skipped = skippedProviders(meta.notes);
  const ranOn = providerLabels[meta.provider];
  return (
    <div className="notice warning" role="status">
      <strong>
        {skipped.length > 0 ? `${skipped.join(' and ')} failed` : 'A faster way failed'} — ran on {ranOn}.
      </strong>{' '}
      The image is fine; this model now goes straight to {ranOn} on this computer.
      <NoteDetails notes={meta.notes} />
    </div>
  );
}
