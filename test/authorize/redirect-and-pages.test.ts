/** The pure parts of the login flow: building the redirect back, and what the pages say. */
import { redirectWith } from '../../src/core/authorization/authorize-request.js';
import { consentPage, describeScope, escapeHtml, loginPage } from '../../src/http/authorize/pages.js';

describe('the redirect back to the client (RFC 6749 §4.1.2, §3.1.2)', () => {
  test('adds the answer as a query', () => {
    expect(redirectWith('https://app.example.com/cb', { code: 'c1', state: 'a b&c', iss: 'https://as.example.com' }))
      .toBe('https://app.example.com/cb?code=c1&state=a+b%26c&iss=https%3A%2F%2Fas.example.com');
  });

  test('keeps a registered query exactly and appends to it', () => {
    expect(redirectWith('https://app.example.com/cb?x=a%20b&flag', { code: 'c1' })).toBe('https://app.example.com/cb?x=a%20b&flag&code=c1');
    expect(redirectWith('https://app.example.com/cb?', { code: 'c1' })).toBe('https://app.example.com/cb?code=c1');
    expect(redirectWith('https://app.example.com/cb?x=1&', { code: 'c1' })).toBe('https://app.example.com/cb?x=1&code=c1');
  });

  test('leaves out null values (no state asked, no state returned)', () => {
    expect(redirectWith('https://app.example.com/cb', { code: 'c1', state: null })).toBe('https://app.example.com/cb?code=c1');
  });

  test('keeps native-app URIs (RFC 8252 §7.1) as registered', () => {
    expect(redirectWith('com.example.app:/oauth2redirect', { code: 'c1' })).toBe('com.example.app:/oauth2redirect?code=c1');
    expect(redirectWith('http://127.0.0.1:8400/cb', { code: 'c1' })).toBe('http://127.0.0.1:8400/cb?code=c1');
  });

  test('never puts the answer inside a fragment', () => {
    expect(redirectWith('https://app.example.com/cb#frag', { code: 'c1' })).toBe('https://app.example.com/cb?code=c1');
  });
});

describe('the pages', () => {
  test('every interpolated value is escaped', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const html = loginPage({ clientName: '"><script>', requestId: '"x', csrf: "'y", username: '<u>', error: '<e>' });
    expect(html).not.toMatch(/<script|"x|'y|<u>|<e>/);
  });

  test('scopes are described in words; unknown ones by their name', () => {
    expect(describeScope('offline_access')).toMatch(/^Stay signed in/);
    expect(describeScope('tessera:admin')).toBe('Administer this Tessera server');
    expect(describeScope('tessera:tokens')).toBe('Manage your API tokens');
    expect(describeScope('orders:read')).toBe('Read your orders (orders:read)');
    expect(describeScope('something-else')).toBe('something-else');
  });

  test('the consent page has approve and deny buttons and the CSRF token, and no script or inline style', () => {
    const html = consentPage({ clientName: 'Partner', username: 'alice', scopes: ['orders:read'], requestId: 'r1', csrf: 'c1' });
    expect(html).toContain('<form method="post" action="/oauth/authorize/consent">');
    expect(html).toContain('name="decision" value="approve"');
    expect(html).toContain('name="decision" value="deny"');
    expect(html).toContain('<input type="hidden" name="csrf" value="c1">');
    expect(html).not.toMatch(/<script|\sstyle=|<style/i);
  });
});
