/**
 * Checks that keep other web pages out of a dashboard the browser can reach:
 * - on a loopback bind, the Host header must name loopback, so a site that re-points its
 *   DNS name at 127.0.0.1 cannot read the dashboard (DNS rebinding);
 * - actions must be JSON POSTs from the dashboard's own origin, which a form or a plain
 *   cross-site request cannot send (no CSRF without a token).
 * Behind a TLS proxy, `--public-url` names the address browsers use: its host and origin pass.
 */
import type { NextFunction, Request, Response } from 'express';
import { isLoopback } from '@sweep-runner/shared';

/** On a loopback bind: only loopback Host names, and the public URL's host (a proxy in front). */
export function loopbackHostOnly(publicUrl?: URL) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers.host ?? '';
    const host = given.replace(/:\d+$/, '');
    if (isLoopback(host) || (publicUrl !== undefined && given === publicUrl.host)) {
      next();
      return;
    }
    const proxied = publicUrl ? `, or ${publicUrl.origin}` : '; behind a proxy that passes its own Host, start it with --public-url';
    res.status(421).json({ error: `this dashboard listens on loopback only; open it as http://127.0.0.1 or http://localhost${proxied}, not ${host || 'an empty Host'}` });
  };
}

function originHost(origin: string): string {
  try {
    return new URL(origin).host; // "null" (a sandboxed or file page) throws: no host
  } catch {
    return '';
  }
}

/** Actions: JSON, from a page of this dashboard (its Host, or the public URL a proxy serves it at). */
export function sameOriginJson(publicUrl?: URL) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'actions take a JSON body (Content-Type: application/json)' });
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && originHost(origin) !== req.headers.host && origin !== publicUrl?.origin) {
      const hint = publicUrl ? '' : '; behind a proxy, start the dashboard with --public-url set to the address browsers use';
      res.status(403).json({ error: `actions are taken only from the dashboard's own pages (not from origin ${origin})${hint}` });
      return;
    }
    next();
  };
}

/**
 * Headers for every page, bull-board's included: everything loads from this server (which
 * also stops bull-board fetching its web fonts from Google: the page falls back to system
 * fonts and works offline).
 */
export function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  });
  next();
}
