import type http from 'node:http';
import { DEFAULT_HUB_ENDPOINT } from '../../../src-preload/api';
import { EaselError } from '../errors';
import type { HttpTransport } from './http';
import { RetryableError, UnreachableError } from './retry';
import { SHA256_HEX } from './verify';

/**
 * The Hugging Face hub (or a mirror) as the downloader sees it: file URLs in a repository, the hub's
 * redirects to its CDN with the size and checksum it publishes on the way, the access token, and what
 * its answers mean in words. The token goes only to the configured hub's own origin, and only over https.
 */

/** One file of one repository revision, and the model's name for messages. */
export interface HubFileRef {
  repo: string;
  revision: string;
  /** Path in the repository, `/`-separated. */
  path: string;
  modelName: string;
}

export interface HubResponse {
  response: http.IncomingMessage;
  /** X-Linked-Size: the LFS file's size, published on the hub's redirect. */
  linkedSize?: number;
  /** X-Linked-Etag: the LFS file's SHA-256 (unquoted, lower case). */
  linkedEtag?: string;
  /** The hub's own ETag: a small file's git blob SHA-1. */
  hubEtag?: string;
}

/** What the hub says about a file before it is fetched. */
export interface RemoteFileInfo {
  bytes: number | undefined;
  sha256: string | undefined;
}

export interface HubClientOptions {
  /** Hub or mirror base URL; default https://huggingface.co. */
  endpoint?: string;
  /** Hugging Face access token: sent only over https to the hub endpoint's origin, never logged. */
  token?: string;
  transport: HttpTransport;
  /** No answer for this long -> the request fails (and may be retried). */
  timeoutMs: number;
}

/** Redirects followed for one request; the hub uses one (to its CDN), mirrors rarely more. */
export const MAX_REDIRECTS = 10;

export function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A byte count from a header, or undefined when it is missing or not a plain decimal. */
export function parseSize(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : undefined;
}

function unquoteEtag(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

export class HubClient {
  readonly endpoint: string;
  private readonly hubOrigin: string;
  private readonly token: string | undefined;
  /** Whether the token may be sent at all: only when the hub address is https. */
  private readonly tokenSendable: boolean;
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;

  constructor(options: HubClientOptions) {
    this.endpoint = (options.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    let endpointUrl: URL;
    try {
      endpointUrl = new URL(this.endpoint);
    } catch {
      throw new EaselError('invalid_request', `The hub address ${JSON.stringify(this.endpoint)} is not a valid URL.`);
    }
    if (!/^https?:$/.test(endpointUrl.protocol)) {
      throw new EaselError('invalid_request', `The hub address ${this.endpoint} must start with https:// or http://.`);
    }
    this.hubOrigin = endpointUrl.origin;
    this.token = options.token && options.token.trim() !== '' ? options.token.trim() : undefined;
    this.tokenSendable = endpointUrl.protocol === 'https:';
    this.transport = options.transport;
    this.timeoutMs = options.timeoutMs;
  }

  fileUrl(file: HubFileRef): URL {
    const encodedPath = file.path.split('/').map(encodeURIComponent).join('/');
    return new URL(`${this.endpoint}/${file.repo}/resolve/${encodeURIComponent(file.revision)}/${encodedPath}`);
  }

  /** The token goes to the configured hub only: same origin (scheme, host and port) and https. */
  private authorizes(url: URL): boolean {
    return this.token !== undefined && this.tokenSendable && url.protocol === 'https:' && url.origin === this.hubOrigin;
  }

  /**
   * GET or HEAD a repository file through the hub's redirects, reading the size and checksum the hub
   * publishes on the way. A HEAD stops at the hub's redirect once it has the size.
   */
  async request(
    file: HubFileRef,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HubResponse> {
    let current = this.fileUrl(file);
    let linkedSize: number | undefined;
    let linkedEtag: string | undefined;
    let hubEtag: string | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const hopHeaders: Record<string, string> = {
        'user-agent': 'Easel (model downloader)',
        'accept-encoding': 'identity',
        ...headers,
      };
      if (this.authorizes(current)) hopHeaders.authorization = `Bearer ${this.token}`;
      let response: http.IncomingMessage;
      try {
        const options = { method, headers: hopHeaders, timeoutMs: this.timeoutMs };
        response = await this.transport(current, signal ? { ...options, signal } : options);
      } catch (error) {
        throw networkError(error, current);
      }
      linkedSize ??= parseSize(header(response, 'x-linked-size'));
      linkedEtag ??= unquoteEtag(header(response, 'x-linked-etag'));
      if (current.origin === this.hubOrigin) hubEtag ??= unquoteEtag(header(response, 'etag'));
      const status = response.statusCode ?? 0;
      const location = header(response, 'location');
      const isRedirect = status >= 300 && status < 400 && location !== undefined;
      if (isRedirect && !(method === 'HEAD' && linkedSize !== undefined)) {
        response.resume();
        current = redirectTarget(current, location, file);
        continue;
      }
      return {
        response,
        ...(linkedSize !== undefined ? { linkedSize } : {}),
        ...(linkedEtag !== undefined ? { linkedEtag } : {}),
        ...(hubEtag !== undefined ? { hubEtag } : {}),
      };
    }
    throw new EaselError(
      'download_failed',
      `Downloading ${file.path} stopped: the server sent Easel through more than ${MAX_REDIRECTS} redirects (it may be redirecting in a circle). Check the hub address in Settings.`,
      { file: file.path, redirects: MAX_REDIRECTS },
    );
  }

  /** The size and SHA-256 the hub publishes for a file, without fetching it. */
  async head(file: HubFileRef, signal?: AbortSignal): Promise<RemoteFileInfo> {
    const { response, linkedSize, linkedEtag } = await this.request(file, 'HEAD', {}, signal);
    response.resume();
    const status = response.statusCode ?? 0;
    if (!(status >= 200 && status < 400)) throw this.statusError(status, file);
    const bytes = linkedSize ?? parseSize(header(response, 'content-length'));
    const sha256 = linkedEtag && SHA256_HEX.test(linkedEtag) ? linkedEtag : undefined;
    return { bytes, sha256 };
  }

  /**
   * The full commit hash the hub gives for a revision (a short hash, a branch or a tag), from its API
   * (`/api/models/{repo}/revision/{revision}`, which answers with the commit's `sha`).
   */
  async resolveRevision(repo: string, revision: string, modelName: string, signal?: AbortSignal): Promise<string> {
    let current = new URL(`${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const headers: Record<string, string> = { 'user-agent': 'Easel (model downloader)', accept: 'application/json' };
      if (this.authorizes(current)) headers.authorization = `Bearer ${this.token}`;
      let response: http.IncomingMessage;
      try {
        const options = { method: 'GET' as const, headers, timeoutMs: this.timeoutMs };
        response = await this.transport(current, signal ? { ...options, signal } : options);
      } catch (error) {
        throw networkError(error, current);
      }
      const status = response.statusCode ?? 0;
      const location = header(response, 'location');
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        current = redirectTarget(current, location, { repo, revision, path: `revision ${revision}`, modelName });
        continue;
      }
      if (status !== 200) {
        response.resume();
        if (status === 404) {
          throw new EaselError(
            'not_found',
            `${this.endpoint} has no revision ${revision} of ${repo}. The catalog entry or the hub address may be out of date.`,
            { status, repo, revision },
          );
        }
        throw this.statusError(status, { repo, revision, path: `revision ${revision}`, modelName });
      }
      const sha = (parseJsonObject(await readSmallBody(response)) as { sha?: unknown } | undefined)?.sha;
      if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
        throw new EaselError('download_failed', `${this.endpoint} did not say which commit revision ${revision} of ${repo} is.`, {
          repo,
          revision,
        });
      }
      return sha;
    }
    throw new EaselError('download_failed', `Asking ${this.endpoint} for revision ${revision} of ${repo} led through more than ${MAX_REDIRECTS} redirects.`, {
      repo,
      revision,
    });
  }

  /** What an HTTP status other than 200/206 means for a file: a typed error, or one worth retrying. */
  statusError(status: number, file: HubFileRef): Error {
    if (status === 401 || status === 403) {
      let message: string;
      if (this.token && !this.tokenSendable) {
        message = `${file.modelName} is gated, and Easel sends the access token only over https: the hub address ${this.endpoint} is not https. Use an https hub address in Settings.`;
      } else if (this.token) {
        message = `Hugging Face refused the access token for ${file.repo}. ${file.modelName} is gated: accept its licence on the model page with the account that owns the token, or use another token.`;
      } else {
        message = `${file.modelName} is gated on Hugging Face: accept its licence on ${this.endpoint}/${file.repo} and add an access token in Settings.`;
      }
      return new EaselError('unauthorized', message, { status, repo: file.repo });
    }
    if (status === 404) {
      return new EaselError(
        'not_found',
        `${file.path} was not found in ${file.repo} at revision ${file.revision}. The catalog entry or the hub address may be out of date.`,
        { status, file: file.path },
      );
    }
    if (status === 429 || status >= 500) return new RetryableError(`The server answered HTTP ${status}`);
    return new EaselError('download_failed', `Downloading ${file.path} failed: the server answered HTTP ${status}.`, {
      status,
      file: file.path,
    });
  }
}

/** A JSON answer of the hub's API is a few hundred bytes; more than this is not one. */
const MAX_API_ANSWER_BYTES = 1024 * 1024;

async function readSmallBody(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response) {
    length += (chunk as Buffer).length;
    if (length > MAX_API_ANSWER_BYTES) {
      response.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Where a redirect leads; only http and https are followed, anything else stops the download at once. */
function redirectTarget(from: URL, location: string, file: HubFileRef): URL {
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new EaselError(
      'download_failed',
      `Downloading ${file.path} stopped: ${from.host} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a valid address.`,
      { file: file.path },
    );
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    const scheme = target.protocol.replace(/:$/, '');
    throw new EaselError(
      'download_failed',
      `Downloading ${file.path} stopped: ${from.host} redirected to a "${scheme}:" address. Easel follows only http and https links; check the hub address in Settings.`,
      { file: file.path, scheme },
    );
  }
  return target;
}

function networkError(error: unknown, url: URL): Error {
  if (error instanceof EaselError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EPROXY') {
    const status = (error as { status?: number }).status;
    const message = (error as Error).message;
    if (status === 407) {
      return new EaselError('network', `${message}. The proxy needs a user name and password in HTTPS_PROXY.`);
    }
    return new RetryableError(message);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UnreachableError(`Cannot find ${url.hostname}`);
  if (code === 'ECONNREFUSED') return new UnreachableError(`${url.host} refused the connection`);
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') return new UnreachableError(`No route to ${url.host}`);
  if (code === 'ETIMEDOUT') return new RetryableError(`No answer from ${url.host}`);
  const certificate = code?.startsWith('ERR_TLS') || code?.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT';
  if (certificate) {
    return new EaselError(
      'network',
      `The certificate of ${url.host} is not trusted (${code}). If a company proxy inspects HTTPS, add its certificate authority in Settings.`,
    );
  }
  return new RetryableError(`Connection to ${url.host} failed (${code ?? (error as Error).message})`);
}
