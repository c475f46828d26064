import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor, proxySettingsFromEnv, proxyUrlFromPac } from '../../../src-main/core/models/http';

describe('proxyUrlFromPac', () => {
  it('reads the proxy Electron resolves for a URL', () => {
    expect(proxyUrlFromPac('PROXY proxy.corp:8080; DIRECT')).toBe('http://proxy.corp:8080');
    expect(proxyUrlFromPac('HTTPS secure.corp:443')).toBe('https://secure.corp:443');
    expect(proxyUrlFromPac('DIRECT')).toBeNull();
    expect(proxyUrlFromPac('SOCKS5 socks.corp:1080; DIRECT')).toBeNull();
    expect(proxyUrlFromPac('')).toBeNull();
  });
});

describe('proxy choice', () => {
  it('takes HTTPS_PROXY for https and HTTP_PROXY for http, in either case of the variable name', () => {
    const settings = proxySettingsFromEnv({ https_proxy: 'secure.corp:3128', HTTP_PROXY: 'http://plain.corp:8080', NO_PROXY: ' ' });
    expect(settings).toEqual({ httpsProxy: 'secure.corp:3128', httpProxy: 'http://plain.corp:8080' });
    expect(proxyFor(new URL('https://huggingface.co/x'), settings)?.href).toBe('http://secure.corp:3128/');
    expect(proxyFor(new URL('http://mirror.local/x'), settings)?.href).toBe('http://plain.corp:8080/');
  });

  it('honours NO_PROXY hosts, suffixes and ports', () => {
    const noProxy = 'localhost, .internal, *.corp.example, mirror.lan:8080';
    expect(bypassesProxy(new URL('http://localhost:3000/'), noProxy)).toBe(true);
    expect(bypassesProxy(new URL('https://hub.internal/'), noProxy)).toBe(true);
    expect(bypassesProxy(new URL('https://a.corp.example/'), noProxy)).toBe(true);
    expect(bypassesProxy(new URL('http://mirror.lan:8080/'), noProxy)).toBe(true);
    expect(bypassesProxy(new URL('http://mirror.lan:9090/'), noProxy)).toBe(false);
    expect(bypassesProxy(new URL('https://huggingface.co/'), noProxy)).toBe(false);
    expect(bypassesProxy(new URL('https://huggingface.co/'), '*')).toBe(true);
  });
});
