import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';

/**
 * A small HTTP(S) client over node:http/https that honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY
 * (absolute-URI requests for http, CONNECT tunnels for https) and never follows redirects itself:
 * the hub client (hub-client.ts) follows them so it can read the hub's headers on the redirect, refuse
 * schemes other than http(s) and keep the access token away from other hosts.
 */

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** No response headers within this time -> the request fails with code ETIMEDOUT. */
  timeoutMs: number;
}

/** Resolves once the response headers arrived; the caller consumes or destroys the body. */
export type HttpTransport = (url: URL, request: HttpRequest) => Promise<http.IncomingMessage>;

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/**
 * The proxy a system proxy configuration (Electron's `session.resolveProxy`, PAC syntax such as
 * "PROXY proxy.corp:8080; DIRECT") picks, as a URL; null for DIRECT. SOCKS is not supported by the
 * downloader, so it counts as no proxy.
 */
export function proxyUrlFromPac(pac: string): string | null {
  for (const rule of pac.split(';').map((part) => part.trim())) {
    const [kind, hostPort] = rule.split(/\s+/);
    if (kind === 'DIRECT') return null;
    if ((kind === 'PROXY' || kind === 'HTTP') && hostPort) return `http://${hostPort}`;
    if (kind === 'HTTPS' && hostPort) return `https://${hostPort}`;
  }
  return null;
}

export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings {
  const pick = (name: string): string | undefined => {
    const value = env[name] ?? env[name.toLowerCase()];
    return value && value.trim() !== '' ? value.trim() : undefined;
  };
  const settings: ProxySettings = {};
  const httpProxy = pick('HTTP_PROXY');
  const httpsProxy = pick('HTTPS_PROXY');
  const noProxy = pick('NO_PROXY');
  if (httpProxy) settings.httpProxy = httpProxy;
  if (httpsProxy) settings.httpsProxy = httpsProxy;
  if (noProxy) settings.noProxy = noProxy;
  return settings;
}

function defaultPort(url: URL): number {
  return url.protocol === 'https:' ? 443 : 80;
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : defaultPort(url);
}

/** NO_PROXY entries: `*`, `host`, `.suffix`, `*.suffix`, optionally with `:port`. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = portOf(url);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    if (item === '*') return true;
    const match = /^(.*?)(?::(\d+))?$/.exec(item);
    const pattern = (match?.[1] ?? item).replace(/^\*/, '');
    const entryPort = match?.[2];
    if (entryPort && Number(entryPort) !== port) continue;
    if (pattern.startsWith('.')) {
      if (host.endsWith(pattern) || host === pattern.slice(1)) return true;
    } else if (host === pattern || host.endsWith(`.${pattern}`)) {
      return true;
    }
  }
  return false;
}

export function proxyFor(url: URL, settings: ProxySettings): URL | undefined {
  if (bypassesProxy(url, settings.noProxy)) return undefined;
  const raw = url.protocol === 'https:' ? (settings.httpsProxy ?? settings.httpProxy) : settings.httpProxy;
  if (!raw) return undefined;
  return new URL(raw.includes('://') ? raw : `http://${raw}`);
}

function proxyAuthHeader(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function openTunnel(proxy: URL, target: URL, request: HttpRequest): Promise<net.Socket> {
  const targetAuthority = `${target.hostname}:${portOf(target)}`;
  const client = proxy.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const connectRequest = client.request({
      host: proxy.hostname,
      port: portOf(proxy),
      method: 'CONNECT',
      path: targetAuthority,
      headers: { host: targetAuthority, ...proxyAuthHeader(proxy) },
      signal: request.signal,
    });
    const timer = setTimeout(() => {
      connectRequest.destroy(new HttpError(`The proxy ${proxy.host} did not answer`, 'ETIMEDOUT'));
    }, request.timeoutMs);
    connectRequest.once('connect', (response, socket) => {
      clearTimeout(timer);
      if (response.statusCode === 200) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(
        new HttpError(
          `The proxy ${proxy.host} refused to connect to ${targetAuthority} (HTTP ${response.statusCode})`,
          'EPROXY',
          response.statusCode,
        ),
      );
    });
    connectRequest.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    connectRequest.end();
  });
}

export interface NodeTransportOptions {
  proxies?: ProxySettings;
  /** Extra certificate authorities to trust (a corporate TLS-inspecting proxy, a private mirror). */
  ca?: string | Buffer | Array<string | Buffer>;
}

export function createNodeTransport(options: NodeTransportOptions = {}): HttpTransport {
  const proxies = options.proxies ?? {};
  return async (url, request) => {
    const proxy = proxyFor(url, proxies);
    const isHttps = url.protocol === 'https:';
    const base: https.RequestOptions = {
      method: request.method,
      headers: { ...request.headers },
      signal: request.signal,
    };
    let clientRequest: http.ClientRequest;
    if (!proxy) {
      const client = isHttps ? https : http;
      clientRequest = client.request(url, isHttps ? { ...base, ca: options.ca } : base);
    } else if (!isHttps) {
      // Plain http through a proxy: the request line carries the absolute URI.
      clientRequest = (proxy.protocol === 'https:' ? https : http).request({
        ...base,
        host: proxy.hostname,
        port: portOf(proxy),
        path: url.href,
        headers: { ...request.headers, host: url.host, ...proxyAuthHeader(proxy) },
      });
    } else {
      const tunnel = await openTunnel(proxy, url, request);
      const servername = isIP(url.hostname) ? undefined : url.hostname;
      const secureSocket = tls.connect({ socket: tunnel, servername, ca: options.ca });
      clientRequest = https.request(url, { ...base, createConnection: () => secureSocket });
    }
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        clientRequest.destroy(new HttpError(`No answer from ${url.host}`, 'ETIMEDOUT'));
      }, request.timeoutMs);
      clientRequest.once('response', (response) => {
        clearTimeout(timer);
        // Errors after the caller stopped reading (a redirect it skipped) must not crash the app;
        // a reader still sees them through its own listener.
        response.on('error', () => undefined);
        resolve(response);
      });
      clientRequest.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      clientRequest.end();
    });
  };
}
