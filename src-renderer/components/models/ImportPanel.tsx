import { useId, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../src-preload/api';
import { useModelsStore } from '../../stores/models-store';

type ImportState = { kind: 'idle' } | { kind: 'importing' } | { kind: 'done'; name: string } | { kind: 'failed'; error: ErrorInfo };

/**
 * A model already on this computer, by its folder's path: the browser host cannot open a native folder
 * picker, so the path is typed (or pasted) on every host alike.
 */
export function ImportPanel() {
  const importFolder = useModelsStore((state) => state.importFolder);
  const titleId = useId();
  const [folder, setFolder] = useState('');
  const [mode, setMode] = useState<'copy' | 'reference'>('copy');
  const [state, setState] = useState<ImportState>({ kind: 'idle' });
  const importing = state.kind === 'importing';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setState({ kind: 'importing' });
    const result = await importFolder(folder.trim(), mode);
    if (!result.ok) return setState({ kind: 'failed', error: result.error });
    setState({ kind: 'done', name: result.value.name });
    setFolder('');
  };

  return (
    <section className="panel models-import" aria-labelledby={titleId}>
      <h2 id={titleId}>Import a model folder</h2>
      <p className="models-dim">
        Easel runs Stable Diffusion models exported to ONNX in the diffusers layout: a folder with{' '}
        <code>model_index.json</code>, <code>text_encoder/</code>, <code>unet/</code> and <code>vae_decoder/</code>. Files
        that can run code when loaded (<code>.ckpt</code>, <code>.bin</code>, <code>.pt</code>) are refused.
      </p>
      <form onSubmit={(event) => void submit(event)}>
        <label className="field">
          <span>Folder</span>
          <input
            value={folder}
            onChange={(event) => setFolder(event.target.value)}
            placeholder="/home/me/models/my-model-onnx"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <fieldset className="models-import-mode">
          <legend>How</legend>
          <label>
            <input type="radio" name="import-mode" checked={mode === 'copy'} onChange={() => setMode('copy')} />
            <span>
              Copy into Easel's models folder
              <small>The original can be moved or deleted afterwards.</small>
            </span>
          </label>
          <label>
            <input type="radio" name="import-mode" checked={mode === 'reference'} onChange={() => setMode('reference')} />
            <span>
              Use in place
              <small>No copy, no extra space; the folder must stay where it is.</small>
            </span>
          </label>
        </fieldset>
        <div className="models-import-submit">
          <button type="submit" className="primary" disabled={importing || folder.trim() === ''}>
            {importing ? (mode === 'copy' ? 'Copying…' : 'Importing…') : 'Import'}
          </button>
          {state.kind === 'failed' && (
            <p className="models-problem" role="alert">
              {state.error.message}
            </p>
          )}
          {state.kind === 'done' && (
            <p className="models-ok" role="status">
              Imported {state.name}. It is in the list above.
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
