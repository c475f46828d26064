import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentSecurityPolicy } from '../content-security-policy';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

/**
 * Serves the built renderer: files inside `staticDir` only, the app's page for client-side routes,
 * 404 for a missing asset. The page gets the CSP and may not be framed.
 */
export async function serveStaticFile(res: http.ServerResponse, staticDir: string, pathname: string): Promise<void> {
  const root = path.resolve(staticDir);
  const decoded = pathname === '/' ? '/index.html' : decodePath(pathname);
  const relative = decoded?.replace(/^\/+/, '');
  const file = relative === undefined ? root : path.resolve(root, relative);
  if (relative === undefined || (file !== root && !file.startsWith(root + path.sep))) {
    res.writeHead(404).end('Not found');
    return;
  }
  let target = file;
  try {
    const stat = await fs.stat(target);
    if (!stat.isFile()) throw new Error('not a file');
  } catch {
    // Client-side routes fall back to the app's page; missing assets are 404.
    if (path.extname(relative)) {
      res.writeHead(404).end('Not found');
      return;
    }
    target = path.join(root, 'index.html');
  }
  const headers: http.OutgoingHttpHeaders = {
    'content-type': CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  if (target.endsWith('.html')) {
    headers['content-security-policy'] = contentSecurityPolicy('web');
    headers['x-frame-options'] = 'DENY';
  }
  res.writeHead(200, headers);
  // pipeline() closes the file when the client goes away and turns a read error into a rejection.
  await pipeline(createReadStream(target), res);
}
