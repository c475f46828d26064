import type { CSSProperties, ReactNode } from 'react';
import type { JobKind, JobSummary } from '../../../src-preload/api';
import { useAppStore } from '../../stores/app-store';
import { useGenerateStore } from '../../stores/generate-store';
import { useJobsStore } from '../../stores/jobs-store';
import { Icon } from '../Icon';
import { fullImages, isSmall, thumbnails, useLoadedImage } from '../gallery/images';
import { formatCount, formatDuration } from '../../../src-shared/format';
import { providerLabels } from '../../provider-labels';
import { remedyFor } from './format';
import { GENERATE_SHORTCUT } from './GenerateForm';
import { ImageNotes, PlaceholderBadge } from './ImageNotes';
import { isFinished } from '../../../src-shared/jobs';
import { canHiresFix, sendToCanvas, sendToHiresFix, sendToImg2img, sendToUpscale } from '../send-to';

function Progress({ job }: { job: JobSummary }) {
  const cancel = useJobsStore((state) => state.cancel);
  const progress = job.progress;
  const total = progress ? progress.totalSteps * progress.count : job.request.steps * job.request.count;
  const done = progress ? progress.image * progress.totalSteps + progress.step : 0;
  const percent = total > 0 ? Math.round((done / total) * 100) : 0;
  // Where it stands first, the details after: in a narrow window the details wrap as one second line.
  const main = progress
    ? [
        `${job.kind === 'upscale' ? 'Tile' : 'Step'} ${progress.step} of ${progress.totalSteps}`,
        progress.etaMs !== null ? `about ${formatDuration(progress.etaMs)} left` : null,
      ]
    : ['Loading the model…'];
  const details = progress
    ? [
        progress.count > 1 ? `image ${progress.image + 1} of ${progress.count}` : null,
        `${formatDuration(progress.elapsedMs)} elapsed`,
        `on ${providerLabels[progress.provider]}`,
      ]
    : [];
  return (
    <div className="progress" aria-label="Generation progress">
      <div className="progress-text">
        <span className="progress-status" aria-live="polite">
          <span className="progress-main">{main.filter(Boolean).join(' · ')}</span>
          {details.length > 0 && <span>{details.filter(Boolean).join(' · ')}</span>}
        </span>
        <button type="button" onClick={() => void cancel(job.id)}>
          Cancel
        </button>
      </div>
      <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

/** The shape of the coming image, so the layout does not jump when it arrives. */
function Frame({ job, children }: { job: JobSummary; children?: ReactNode }) {
  return (
    <div className="frame" style={{ '--ratio': job.request.width / job.request.height } as CSSProperties}>
      {children}
    </div>
  );
}

function Running({ job }: { job: JobSummary }) {
  const preview = job.progress?.preview ?? null;
  return (
    <>
      <div className="stage">
        <Frame job={job}>
          {preview ? <img className="live-preview" src={preview} alt="Live preview of the image being made" /> : <div className="shimmer" />}
        </Frame>
      </div>
      <Progress job={job} />
    </>
  );
}

function Waiting({ job, ahead }: { job: JobSummary; ahead: number }) {
  const remove = useJobsStore((state) => state.remove);
  return (
    <div className="stage">
      <div className="empty-state">
        <h2>Waiting to start</h2>
        <p>{ahead === 1 ? 'One job runs before this one.' : `${ahead} jobs run before this one.`}</p>
        <button type="button" onClick={() => void remove(job.id)}>
          Remove from queue
        </button>
      </div>
    </div>
  );
}

function Results({ job }: { job: JobSummary }) {
  const setScreen = useAppStore((state) => state.setScreen);
  const index = useJobsStore((state) => Math.min(state.resultIndex, job.results.length - 1));
  const showResult = useJobsStore((state) => state.showResult);
  const item = job.results[index];
  const image = useLoadedImage(fullImages, item?.id ?? null);
  if (!item) return null;
  return (
    <>
      <div className="stage">
        <Frame job={job}>
          {image.url ? (
            <img className={isSmall(item) ? 'result-image pixelated' : 'result-image'} src={image.url} alt={`Generated: ${item.meta.prompt}`} />
          ) : image.error ? (
            <p className="image-error">Could not load the image: {image.error}</p>
          ) : (
            <div className="shimmer" />
          )}
          {item.meta.placeholder && <PlaceholderBadge />}
        </Frame>
      </div>
      {job.results.length > 1 && (
        <div className="result-strip" role="listbox" aria-label="Images of this run">
          {job.results.map((result, position) => (
            <ResultThumb key={result.id} id={result.id} active={position === index} label={`Image ${position + 1}`} onSelect={() => showResult(position)} />
          ))}
        </div>
      )}
      <p className="result-caption">
        <button type="button" className="link" onClick={() => setScreen('gallery')}>
          Saved to the gallery
        </button>{' '}
        · seed {item.meta.seed} · {item.width}×{item.height} · {formatDuration(item.meta.timings.totalMs)} on{' '}
        {providerLabels[item.meta.provider]}
      </p>
      <div className="result-actions" role="group" aria-labelledby="send-to-label">
        <span id="send-to-label" className="dim">
          Send to
        </span>
        <button type="button" title="Repaint part of it or extend it on the Canvas screen" onClick={() => void say(sendToCanvas(item))}>
          <Icon name="canvas" size={16} /> Canvas
        </button>
        <button type="button" title="Make it the image the form starts from" onClick={() => void say(sendToImg2img(item))}>
          <Icon name="image" size={16} /> img2img
        </button>
        <button type="button" title="Enlarge it twice with the chosen upscaler (the built-in one unless another is picked)" onClick={() => void say(sendToUpscale(item, 2))}>
          <Icon name="upscale" size={16} /> Upscale 2×
        </button>
        {canHiresFix(item) && (
          <button type="button" title="Make it again with Hires fix: the same seed, enlarged and redrawn" onClick={() => void say(sendToHiresFix(item))}>
            Hires fix
          </button>
        )}
      </div>
      <ImageNotes meta={item.meta} />
    </>
  );
}

/** Says on the form why a send did not happen. */
async function say(going: Promise<string | null>): Promise<void> {
  const problem = await going;
  if (problem) useGenerateStore.getState().setNotice({ tone: 'warning', text: problem });
}

function ResultThumb({ id, active, label, onSelect }: { id: string; active: boolean; label: string; onSelect(): void }) {
  const image = useLoadedImage(thumbnails, id);
  return (
    <button type="button" role="option" aria-selected={active} aria-label={label} className={active ? 'strip-item active' : 'strip-item'} onClick={onSelect}>
      {image.url && <img src={image.url} alt="" />}
    </button>
  );
}

const jobNouns: Record<JobKind, string> = { generate: 'generation', inpaint: 'edit', upscale: 'upscale' };

function Failed({ job }: { job: JobSummary }) {
  const what = jobNouns[job.kind];
  const error = job.error ?? { code: 'internal' as const, message: `The ${what} failed without saying why.` };
  const remedy = remedyFor(error);
  return (
    <div className="stage">
      <div className="notice error" role="alert">
        <strong>The {what} failed.</strong> {error.message}
        {remedy && <p>{remedy}</p>}
      </div>
    </div>
  );
}

/** What a cancel kept: images are saved whole, once their last step is done, never half-made. */
function savedBeforeCancel(saved: number): string {
  if (saved === 0) return 'Nothing was saved: an image is saved only when all its steps are done.';
  return `${formatCount(saved, 'image')} finished before the cancel ${saved === 1 ? 'is' : 'are'} in the gallery; the unfinished one was not saved.`;
}

function Cancelled({ job }: { job: JobSummary }) {
  const progress = job.progress;
  return (
    <div className="stage">
      <div className="empty-state">
        <h2>Cancelled</h2>
        <p>
          {progress ? `Stopped at ${job.kind === 'upscale' ? 'tile' : 'step'} ${progress.step} of ${progress.totalSteps}. ` : ''}
          {savedBeforeCancel(job.results.length)}
        </p>
      </div>
    </div>
  );
}

function NoModel() {
  const setScreen = useAppStore((state) => state.setScreen);
  return (
    <div className="stage">
      <div className="empty-state">
        <Icon name="models" size={40} />
        <h2>No model installed</h2>
        <p>Easel needs a Stable Diffusion model to draw with. Download one or import a folder on the Models screen.</p>
        <button type="button" className="primary" onClick={() => setScreen('models')}>
          Open Models
        </button>
      </div>
    </div>
  );
}

export function Canvas() {
  const jobs = useJobsStore((state) => state.jobs);
  const focusId = useJobsStore((state) => state.focusId);
  const hasModel = useGenerateStore((state) => state.models.length > 0);
  const modelsLoaded = useGenerateStore((state) => state.modelsLoaded);
  const job = jobs.find((known) => known.id === focusId);

  if (!job) {
    if (modelsLoaded && !hasModel) return <NoModel />;
    return (
      <div className="stage">
        <div className="empty-state">
          <Icon name="generate" size={40} />
          <h2>Your images appear here</h2>
          <p>
            Write a prompt, adjust the settings, and press Generate (<kbd>{GENERATE_SHORTCUT}</kbd>).
          </p>
          <p>Drop a PNG made by Easel, AUTOMATIC1111, ComfyUI or InvokeAI here to load its settings.</p>
        </div>
      </div>
    );
  }
  switch (job.state) {
    case 'running':
      return <Running job={job} />;
    case 'queued':
      return <Waiting job={job} ahead={jobs.filter((other) => other.createdAt < job.createdAt && !isFinished(other.state)).length} />;
    case 'done':
      return <Results job={job} />;
    case 'failed':
      return <Failed job={job} />;
    case 'cancelled':
      return <Cancelled job={job} />;
  }
}
