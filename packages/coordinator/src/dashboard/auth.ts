/**
 * The token check, on every request when a token is set. A browser logs in once with
 * `?token=...` (or the form of the 401 page) and then carries an HttpOnly cookie, which
 * EventSource and bull-board's own requests send too; scripts send `Authorization: Bearer`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const TOKEN_COOKIE = 'coord_dashboard_token';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
function sameToken(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

function cookieToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === TOKEN_COOKIE) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

function bearerToken(req: Request): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1]?.trim();
}

const LOGIN_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>coord dashboard: token needed</title></head>
<body style="font: 15px system-ui, sans-serif; max-width: 32rem; margin: 4rem auto">
<h1 style="font-size: 1.3rem">This dashboard needs its token</h1>
<p>Ask whoever started <code>coord dashboard</code> for it (the <code>--auth-token</code> or <code>RUNNER_DASHBOARD_TOKEN</code> value).</p>
<p id="wrong" role="alert" hidden style="color: #b91c1c">That token is not this dashboard's: try again.</p>
<form method="get" action="/"><input name="token" type="password" autofocus size="40" aria-label="token"><input name="next" type="hidden"> <button>Open</button></form>
<script src="/login.js"></script>
</body></html>`;

/**
 * The page asked for, through the form: its `#/sweeps/...` part never reaches the server, so
 * the page's one script puts it in the form (the CSP allows no inline script).
 */
const LOGIN_SCRIPT = `const asked = new URLSearchParams(location.search);
document.querySelector('input[name="next"]').value = asked.get('next') || location.pathname + location.search + location.hash;
document.getElementById('wrong').hidden = !asked.has('wrong');
`;

/** A path of this dashboard: one slash, then not another or a backslash (`//host` leaves it). */
const LOCAL_PATH = /^\/(?![/\\])/;

/**
 * Where to go after the login: a page of this dashboard only. Checked again once parsed, since
 * parsing resolves `/.//evil.com` and `/a/..//evil.com` to `//evil.com`.
 */
function nextPage(next: unknown): string | undefined {
  if (typeof next !== 'string' || !LOCAL_PATH.test(next)) return undefined;
  const url = new URL(next, 'http://x');
  if (url.origin !== 'http://x') return undefined;
  url.searchParams.delete('token');
  url.searchParams.delete('next');
  const page = `${url.pathname}${url.search}${url.hash}`;
  return LOCAL_PATH.test(page) ? page : undefined;
}

/** `secure`: the browser reaches the dashboard over https (`--public-url https://...`), so the cookie never goes over plain HTTP. */
export function requireToken(token: string, { secure = false } = {}) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' && req.path === '/login.js') {
      res.type('js').send(LOGIN_SCRIPT);
      return;
    }
    const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (fromQuery !== undefined && req.method === 'GET' && sameToken(fromQuery, expected)) {
      // Trade the token in the address (history, logs, Referer) for a cookie, then drop it from the URL.
      res.cookie(TOKEN_COOKIE, fromQuery, { httpOnly: true, sameSite: 'strict', path: '/', secure });
      const url = new URL(req.originalUrl, 'http://x');
      url.searchParams.delete('token');
      url.searchParams.delete('next');
      res.redirect(303, nextPage(req.query.next) ?? `${url.pathname}${url.search}`);
      return;
    }
    if (fromQuery !== undefined && req.method === 'GET' && !req.path.startsWith('/api/')) {
      // A wrong token leaves the address at once (it may be a near miss of the right one), and the page says it was wrong.
      const page = nextPage(req.query.next);
      res.redirect(303, `/?wrong=1${page ? `&next=${encodeURIComponent(page)}` : ''}`);
      return;
    }
    const given = bearerToken(req) ?? cookieToken(req);
    if (given !== undefined && sameToken(given, expected)) {
      next();
      return;
    }
    res.status(401).set('WWW-Authenticate', 'Bearer realm="coord dashboard"');
    if (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html') res.type('html').send(LOGIN_PAGE);
    else res.json({ error: 'this dashboard needs its token: Authorization: Bearer TOKEN' });
  };
}
