import type { DownloadStatus } from '../../../src-preload/api';
import { formatEta, formatProgress, formatSpeed } from '../../../src-shared/format';

/** The bar, how far, how fast and how long; plus the core's word when something is going on (a retry). */
export function DownloadProgress({ name, status }: { name: string; status: DownloadStatus }) {
  const known = status.totalBytes > 0;
  const progress = known ? formatProgress(status.bytes, status.totalBytes) : null;
  const figures = [
    progress,
    status.bytesPerSecond > 0 ? formatSpeed(status.bytesPerSecond) : null,
    status.etaSeconds !== null && status.bytesPerSecond > 0 ? formatEta(status.etaSeconds) : null,
  ].filter((figure): figure is string => figure !== null);
  // While bytes flow the core's message is the same "1.2 of 2.6 GB"; only a different one is news.
  const news = status.message && status.message !== progress ? status.message : null;
  return (
    <div className="models-progress">
      <progress
        aria-label={`Downloading ${name}`}
        max={known ? status.totalBytes : undefined}
        value={known ? status.bytes : undefined}
      />
      <p className="models-progress-figures">{figures.length > 0 ? figures.join(' · ') : 'Starting…'}</p>
      {news && news !== 'Starting…' && (
        <p className="models-dim" role="status">
          {news}
        </p>
      )}
    </div>
  );
}
