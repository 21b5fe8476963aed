/**
 * Which redirect URIs a client may register (RFC 6749 §3.1.2, RFC 8252, OAuth 2.1 §7.5): the configured ones
 * (exact URLs, or any https URL on a configured host) and loopback http URLs for desktop and command-line
 * clients. Everything else is refused before a client exists: other schemes (javascript:, data:, file: …),
 * fragments, user-info tricks (`https://claude.ai@evil.example/`), and plain http to anything but loopback.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Returns why `uri` is not allowed, or undefined when it is. */
export function redirectUriProblem(uri: string, allowed: readonly string[]): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'is empty';
  if (uri.length > 2_000) return 'is longer than 2000 characters';
  // Parsers disagree on these; a URI that needs them is never legitimate here.
  if (/[\s\\<>"'`^{}|]/.test(uri) || /%00/i.test(uri)) return 'contains characters that are not allowed in a redirect URI';
  const url = URL.parse(uri);
  if (!url) return 'is not an absolute URL';
  if (uri.includes('#')) return 'has a fragment (#…), which redirect URIs must not have';
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri)) return 'contains user information (…@host)';
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol !== 'https:') {
    return `uses ${url.protocol.replace(/:$/, '')}: — only https URLs (and http to 127.0.0.1, [::1] or localhost) are allowed`;
  }
  const isAllowed = allowed.some((entry) =>
    /^https?:\/\//i.test(entry) ? entry === uri : entry.toLowerCase() === url.hostname.toLowerCase(),
  );
  return isAllowed ? undefined : `is not an allowed redirect (auth.allowed_redirects lists: ${allowed.join(', ') || 'nothing'})`;
}
