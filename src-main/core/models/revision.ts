import { EaselError } from '../errors';
import { askHubWithRetry, type PlannerSettings, type PlanRequest } from './download-plan';

/**
 * Which commit of a repository a download fetches. The catalog pins each model to a commit; where only a short
 * hash was published, the hub turns it into the full one once, that full hash must start with the short one,
 * and it is recorded in the model's manifest, so a resumed download asks no more and fetches from the same commit.
 */

const FULL_COMMIT = /^[0-9a-f]{40}$/;
const SHORT_COMMIT = /^[0-9a-f]{7,39}$/;

/** Whether the recorded commit is the one the catalog pins (the same, or the full hash of a short pin). */
export function commitMatchesPin(recorded: string, pinned: string): boolean {
  return recorded === pinned || (FULL_COMMIT.test(recorded) && SHORT_COMMIT.test(pinned) && recorded.startsWith(pinned));
}

/**
 * The full commit hash to fetch `request.revision` from: the pin itself when it is one, the recorded one when it
 * matches the pin, otherwise the hub's answer, refused when it is not the pinned commit.
 */
export async function resolvePinnedRevision(
  settings: PlannerSettings,
  request: Pick<PlanRequest, 'repo' | 'revision' | 'modelId' | 'displayName'>,
  recorded: string | undefined,
  signal?: AbortSignal,
): Promise<string> {
  const pinned = request.revision;
  if (FULL_COMMIT.test(pinned)) return pinned;
  if (recorded !== undefined && FULL_COMMIT.test(recorded) && commitMatchesPin(recorded, pinned)) return recorded;
  const name = request.displayName ?? request.modelId;
  const sha = await askHubWithRetry(
    settings,
    () => settings.hub.resolveRevision(request.repo, pinned, name, signal),
    { repo: request.repo, revision: pinned },
    signal,
  );
  if (SHORT_COMMIT.test(pinned) && !sha.startsWith(pinned)) {
    throw new EaselError(
      'download_failed',
      `The hub gives commit ${sha} for revision ${pinned} of ${request.repo}, not the commit Easel pins for ${name}; nothing was downloaded. The hub address may point at another copy of the repository.`,
      { repo: request.repo, revision: pinned, sha },
    );
  }
  return sha;
}
