/**
 * A minimal browser for sqlgate's own sign-in and consent pages: a cookie jar, redirects followed within the
 * authorization server's origin, and each form posted back with its CSRF token. It stops at the first redirect
 * that leaves that origin, the one to the client's callback. It is kept apart from the token flow because it
 * depends on the pages' markup (the form actions, the role="alert" message), not on OAuth.
 */
import type { ConnectorContext } from './connector-context.js';
import { fail, sentence, type Finding } from './report.js';
import { pathOf, sendRequest } from './send-request.js';

/**
 * Drives sqlgate's own sign-in and consent forms the way a browser would (a cookie jar, redirects followed within
 * the authorization server's origin); resolves with the redirect to the client's callback, or a failed finding.
 */
export async function signInAndConsent(ctx: ConnectorContext, check: string, authorizeUrl: URL, user: { name: string; password: string }, environment: string): Promise<{ callback: URL } | { finding: Finding }> {
  const origin = authorizeUrl.origin;
  const cookies = new Map<string, string>();
  const open = async (url: string, form?: Record<string, string>): Promise<{ page: { status: number; url: string; body: string } } | { callback: URL } | { error: string }> => {
    let current = url;
    let body = form;
    for (let hop = 0; hop < 10; hop++) {
      const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const reply = await sendRequest(ctx, current, {
        method: body ? 'POST' : 'GET',
        ...(body ? { form: body } : {}),
        headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...(body ? { origin } : {}) },
      });
      if (!reply.ok) return { error: `${current}: ${reply.error}` };
      for (const setCookie of reply.headers.getSetCookie()) {
        const [pair = ''] = setCookie.split(';');
        const index = pair.indexOf('=');
        const name = pair.slice(0, index).trim();
        const value = pair.slice(index + 1).trim();
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(setCookie)) cookies.delete(name);
        else cookies.set(name, value);
      }
      const location = reply.headers.get('location');
      if (reply.status >= 300 && reply.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== origin) return { callback: next };
        current = next.toString();
        body = undefined;
        continue;
      }
      return { page: { status: reply.status, url: current, body: reply.body } };
    }
    return { error: 'more than 10 redirects' };
  };

  let step = await open(authorizeUrl.toString());
  let hasTriedPassword = false;
  for (let round = 0; round < 4; round++) {
    if ('callback' in step) return step;
    if ('error' in step) return { finding: fail(check, `the sign-in pages failed: ${step.error}.`, 'the reverse proxy must forward /authorize and /interaction/* to sqlgate') };
    const { page } = step;
    const action = /action="(\/interaction\/[^"/]+\/(login|confirm))"/.exec(page.body);
    const alert = alertOf(page.body);
    if (!action) {
      if (/may not use/.test(alert)) {
        return { finding: fail(check, sentence(alert), `give ${user.name} a role for ${environment}: sqlgate users roles ${user.name} --env ${environment} (listing every environment and --role ${user.name} should keep), or test with another --user`) };
      }
      return { finding: fail(check, sentence(`the sign-in stopped at ${pathOf(ctx, page.url)} (${page.status})${alert ? `: ${alert}` : ''}`), 'check the server log') };
    }
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const target = new URL(action[1]!, origin).toString();
    if (action[2] === 'login') {
      if (hasTriedPassword) {
        return { finding: fail(check, sentence(`sign-in refused: ${alert || `status ${page.status}`}`), `check the user name and password (sqlgate users passwd ${user.name}); after auth.max_failed_logins failures the name is locked for auth.lockout`) };
      }
      hasTriedPassword = true;
      step = await open(target, { csrf, username: user.name, password: user.password });
    } else {
      step = await open(target, { csrf });
    }
  }
  if ('callback' in step) return step;
  return { finding: fail(check, 'the sign-in did not finish after signing in and consenting.', 'check the server log') };
}

/** The text of the page's `role="alert"` message, without tags. */
function alertOf(html: string): string {
  const inner = /role="alert">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
  return inner.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
}
