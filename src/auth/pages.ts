/**
 * The authorization server's HTML: sign-in, consent and error pages. Server-rendered, no scripts, no external
 * assets (one inline style block allowed by a per-response nonce), readable without CSS, labelled for screen
 * readers. Everything a client chose (its name, URIs) is escaped: a client's name is attacker-controlled text.
 *
 * Referrer policy `same-origin`, not `no-referrer`: under no-referrer Chrome sends `Origin: null` with the form
 * posts, which the cross-site check must then treat as unknown. Redirects to the client are cross-origin, so
 * they still carry no Referer (and no code leaks through one).
 */
import { randomBytes } from 'node:crypto';
import { SCOPE_READ, SCOPE_WRITE } from './scopes.js';

export interface Page {
  readonly status: number;
  readonly html: string;
  /** The Content-Security-Policy to send with it (carries the style nonce). */
  readonly csp: string;
}

/** What a sign-in or consent page shows about the request. */
export interface RequestSummary {
  readonly clientName: string;
  readonly clientId: string;
  /** Host (and port) the browser is sent back to afterwards: the one thing a user can check. */
  readonly redirectHost: string;
  /** Origin of the redirect URI, allowed as a form-action target (Chrome applies form-action to redirects). */
  readonly redirectOrigin?: string;
  readonly environment?: string;
  readonly scopes: readonly string[];
}

const SCOPE_TEXT: Record<string, string> = {
  [SCOPE_READ]: 'Read data: list tables, describe them and run queries that read',
  [SCOPE_WRITE]: 'Change data: run statements that insert, update or delete rows',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderLoginPage(options: {
  uid: string;
  csrf: string;
  request: RequestSummary;
  error?: string;
  userName?: string;
  status?: number;
  /** The upstream identity provider's display name, when single sign-on is configured. */
  upstreamName?: string;
}): Page {
  const { request } = options;
  const upstream = options.upstreamName
    ? `<form method="post" action="/interaction/${escapeHtml(options.uid)}/upstream">
      <input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
      <button type="submit">Sign in with ${escapeHtml(options.upstreamName)}</button>
    </form>
    <p class="meta">or with a sqlgate user name and password:</p>`
    : '';
  const body = `
    <h1>Sign in to sqlgate</h1>
    ${describeRequest(request)}
    ${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
    ${upstream}
    <form method="post" action="/interaction/${escapeHtml(options.uid)}/login">
      <input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
      <label for="username">User name</label>
      <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${escapeHtml(options.userName ?? '')}" ${options.userName ? '' : 'autofocus'}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024" ${options.userName ? 'autofocus' : ''}>
      <button type="submit">Sign in</button>
    </form>
    ${cancelForm(options.uid, options.csrf)}`;
  return page('Sign in · sqlgate', body, options.status ?? 200, request.redirectOrigin);
}

export function renderConsentPage(options: { uid: string; csrf: string; request: RequestSummary; userName: string }): Page {
  const { request } = options;
  const scopes = request.scopes.map((s) => `<li><strong>${escapeHtml(s)}</strong> — ${escapeHtml(SCOPE_TEXT[s] ?? s)}</li>`).join('');
  const body = `
    <h1>Allow access?</h1>
    <p class="who">Signed in as <strong>${escapeHtml(options.userName)}</strong>.</p>
    ${describeRequest(request)}
    <p>It will be allowed to:</p>
    <ul class="scopes">${scopes}</ul>
    <form method="post" action="/interaction/${escapeHtml(options.uid)}/confirm">
      <input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
      <button type="submit">Allow</button>
    </form>
    ${cancelForm(options.uid, options.csrf, 'Deny')}`;
  return page('Allow access · sqlgate', body, 200, request.redirectOrigin);
}

/** The user is signed in but may not use what the client asked for: the only way on is back to the client. */
export function renderNotAllowedPage(options: { uid: string; csrf: string; request: RequestSummary; userName: string }): Page {
  const body = `
    <h1>No access</h1>
    <p class="error" role="alert">${escapeHtml(options.userName)} may not use ${options.request.environment ? `the environment <strong>${escapeHtml(options.request.environment)}</strong>` : 'this'}.</p>
    <p>Ask the sqlgate administrator to grant it (<code>sqlgate users roles … --env ${escapeHtml(options.request.environment ?? '…')}</code>, or a named role that gives it: <code>--role …</code>).</p>
    ${cancelForm(options.uid, options.csrf, `Return to ${options.request.clientName}`)}`;
  return page('No access · sqlgate', body, 403, options.request.redirectOrigin);
}

/** The error page as a whole response (its CSP carries the style nonce). */
export function errorPage(error: string, description: string, status = 400): Page {
  return page('Error · sqlgate', `
    <h1>Something went wrong</h1>
    <p class="error" role="alert"><strong>${escapeHtml(error)}</strong>: ${escapeHtml(description)}</p>
    <p>Go back to the application and connect again.</p>`, status);
}

function describeRequest(request: RequestSummary): string {
  const environment = request.environment ? ` to use the environment <strong>${escapeHtml(request.environment)}</strong>` : '';
  return `<p><strong>${escapeHtml(request.clientName)}</strong> asks${environment}.</p>
    <p class="meta">Afterwards you are sent to <strong>${escapeHtml(request.redirectHost)}</strong>. Client id: <code>${escapeHtml(request.clientId)}</code></p>`;
}

function cancelForm(uid: string, csrf: string, label = 'Cancel'): string {
  return `<form method="post" action="/interaction/${escapeHtml(uid)}/abort" class="secondary">
      <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
      <button type="submit">${escapeHtml(label)}</button>
    </form>`;
}

function page(title: string, body: string, status: number, redirectOrigin?: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const formAction = ["'self'", ...(redirectOrigin ? [redirectOrigin] : [])].join(' ');
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; color: CanvasText; }
  main { width: min(26rem, 100% - 2rem); padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 20%, transparent); border-radius: 12px; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; margin-top: .3rem; font: inherit; }
  button { margin-top: 1.2rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600; border-radius: 8px; border: 1px solid; cursor: pointer; }
  form:not(.secondary) button { background: #1f5fbf; color: #fff; border-color: #1f5fbf; }
  .secondary button { background: transparent; color: inherit; }
  .error { color: #b3261e; font-weight: 600; }
  .meta { font-size: .9rem; opacity: .8; word-break: break-all; }
  .scopes li { margin: .4rem 0; }
  :focus-visible { outline: 3px solid #1f5fbf; outline-offset: 2px; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
  return { status, html, csp };
}
