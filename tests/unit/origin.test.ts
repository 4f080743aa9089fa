import { isOriginAllowed } from '@/lib/hub/origin';

describe('isOriginAllowed', () => {
  it('lets requests without Origin through (non-browser clients)', () => {
    expect(isOriginAllowed(undefined, 'localhost:3000', [])).toBe(true);
    expect(isOriginAllowed(undefined, undefined, [])).toBe(true);
  });

  it('accepts an origin naming the same host and port', () => {
    expect(isOriginAllowed('http://localhost:3000', 'localhost:3000', [])).toBe(true);
    expect(isOriginAllowed('https://dash.example.com', 'dash.example.com', [])).toBe(true);
    expect(isOriginAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', [])).toBe(true);
    expect(isOriginAllowed('http://[::1]:3000', '[::1]:3000', [])).toBe(true);
  });

  it('treats the default port as omitted, on either side', () => {
    expect(isOriginAllowed('http://example.com', 'example.com:80', [])).toBe(true);
    expect(isOriginAllowed('http://example.com:80', 'example.com', [])).toBe(true);
    expect(isOriginAllowed('https://example.com', 'example.com:443', [])).toBe(true);
    expect(isOriginAllowed('https://example.com:443', 'example.com', [])).toBe(true);
    // The default port depends on the scheme.
    expect(isOriginAllowed('https://example.com', 'example.com:80', [])).toBe(false);
    expect(isOriginAllowed('http://example.com', 'example.com:443', [])).toBe(false);
  });

  it('compares hosts case-insensitively', () => {
    expect(isOriginAllowed('http://Example.COM:3000', 'example.com:3000', [])).toBe(true);
    expect(isOriginAllowed('http://example.com:3000', 'EXAMPLE.com:3000', [])).toBe(true);
  });

  it('refuses another port or another host', () => {
    expect(isOriginAllowed('http://localhost:3001', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('http://localhost', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('http://localhost:3000', 'localhost', [])).toBe(false);
    expect(isOriginAllowed('http://evil.com:3000', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('http://example.com.evil.com', 'example.com', [])).toBe(false);
    expect(isOriginAllowed('http://sub.example.com', 'example.com', [])).toBe(false);
  });

  it('refuses an origin when the request has no Host', () => {
    expect(isOriginAllowed('http://localhost:3000', undefined, [])).toBe(false);
    expect(isOriginAllowed('http://localhost:3000', '', [])).toBe(false);
  });

  it('accepts origins on the allow-list by exact match only', () => {
    const allow = ['https://app.example.com', 'http://localhost:5173'];
    expect(isOriginAllowed('https://app.example.com', 'hub.example.com', allow)).toBe(true);
    expect(isOriginAllowed('http://localhost:5173', 'localhost:3000', allow)).toBe(true);
    expect(isOriginAllowed('http://app.example.com', 'hub.example.com', allow)).toBe(false);
    expect(isOriginAllowed('https://app.example.com:8443', 'hub.example.com', allow)).toBe(false);
    expect(isOriginAllowed('https://other.example.com', 'hub.example.com', allow)).toBe(false);
    expect(isOriginAllowed('https://app.example.com', undefined, allow)).toBe(true);
  });

  it('refuses malformed origins', () => {
    for (const origin of ['', 'not a url', 'localhost:3000', 'http://', '://localhost:3000', 'http://local host:3000']) {
      expect([origin, isOriginAllowed(origin, 'localhost:3000', [])]).toEqual([origin, false]);
    }
  });

  it('refuses the opaque null origin', () => {
    expect(isOriginAllowed('null', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('null', 'null', [])).toBe(false);
  });
});
