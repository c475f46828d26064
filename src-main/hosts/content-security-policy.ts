/**
 * The page's Content-Security-Policy, the same for both hosts: our own scripts only, no plugins, no
 * framing. The web host's page also talks to its server over a WebSocket.
 */
export function contentSecurityPolicy(host: 'electron' | 'web'): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    host === 'web' ? "connect-src 'self' ws: wss:" : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
