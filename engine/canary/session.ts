import type { CanaryStatus, SessionAffinity } from '../resources/index.js';
import { fnv32a, safeEncodeString } from './revision.js';

/**
 * Session affinity (`analysis.sessionAffinity`, reference 3.13, Flagger `getSessionAffinityRouteRules`): a
 * user the weighted split sent to the canary gets a cookie, and requests carrying it keep going to the
 * canary for the rest of the run. The scheduler owns the cookies (status, rotated here); the router turns
 * them into HTTPRoute rules (`rollouts/routers/gateway-httproute.ts`) with the helpers below.
 *
 * Cookies are `<cookieName>=<value>` strings, as Flagger keeps them in status:
 * - `sessionAffinityCookie`: this run's canary cookie, created when the canary first gets weight;
 * - `primarySessionAffinityCookie`: with `primaryCookieName`, the cookie handed out by the primary;
 * - `previousSessionAffinityCookie`: the last run's canary cookie, set when the weight returns to 0, so the
 *   route can expire it in browsers (`Max-Age=-1`).
 */
export interface SessionCookies {
  canary?: string;
  primary?: string;
  previous?: string;
}

/** The cookies a status holds. */
export function sessionCookiesOf(status: CanaryStatus | undefined): SessionCookies {
  const out: SessionCookies = {};
  if (status?.sessionAffinityCookie) out.canary = status.sessionAffinityCookie;
  if (status?.primarySessionAffinityCookie) out.primary = status.primarySessionAffinityCookie;
  if (status?.previousSessionAffinityCookie) out.previous = status.previousSessionAffinityCookie;
  return out;
}

/** A cookie value from a seed, for when the controller passed no random tokens (tests, replays). */
export function derivedToken(seed: string): string {
  const a = safeEncodeString(String(fnv32a(`${seed}/a`)));
  const b = safeEncodeString(String(fnv32a(`${seed}/b`)));
  return `${a}${b}`;
}

/**
 * The status after routes move to `canaryWeight` (Flagger rotates them inside `SetRoutes`):
 * - weight > 0: the run's canary cookie (and the primary's, with `primaryCookieName`) are created once;
 * - weight 0: the canary cookie becomes `previousSessionAffinityCookie` and the run's cookies are cleared.
 */
export function rotateSessionCookies(
  status: CanaryStatus,
  affinity: SessionAffinity,
  canaryWeight: number,
  tokens: { canary: string; primary: string },
): CanaryStatus {
  const next: CanaryStatus = { ...status };
  if (canaryWeight > 0) {
    if (!next.sessionAffinityCookie) next.sessionAffinityCookie = `${affinity.cookieName}=${tokens.canary}`;
    if (affinity.primaryCookieName && !next.primarySessionAffinityCookie)
      next.primarySessionAffinityCookie = `${affinity.primaryCookieName}=${tokens.primary}`;
    return next;
  }
  if (next.sessionAffinityCookie) next.previousSessionAffinityCookie = next.sessionAffinityCookie;
  delete next.sessionAffinityCookie;
  delete next.primarySessionAffinityCookie;
  return next;
}

/** `Domain`, `HttpOnly`, `Partitioned`, `Path`, `SameSite`, `Secure`, in that order, as configured. */
function attributes(affinity: SessionAffinity): string {
  let out = '';
  if (affinity.domain) out += `; Domain=${affinity.domain}`;
  if (affinity.httpOnly) out += '; HttpOnly';
  if (affinity.partitioned) out += '; Partitioned';
  if (affinity.path) out += `; Path=${affinity.path}`;
  if (affinity.sameSite) out += `; SameSite=${affinity.sameSite}`;
  if (affinity.secure) out += '; Secure';
  return out;
}

/** The `Set-Cookie` value handing out `cookie` for `maxAgeSeconds`. */
export function setCookieValue(cookie: string, maxAgeSeconds: number, affinity: SessionAffinity): string {
  return `${cookie}; Max-Age=${maxAgeSeconds}${attributes(affinity)}`;
}

/**
 * The `Set-Cookie` value that deletes `cookie` (`Max-Age=-1`). Weir difference: `Domain` and `Path` are
 * repeated (Flagger sends neither), because a browser only drops a cookie whose domain and path match.
 */
export function expireCookieValue(cookie: string, affinity: SessionAffinity): string {
  let out = `${cookie}; Max-Age=-1`;
  if (affinity.domain) out += `; Domain=${affinity.domain}`;
  if (affinity.path) out += `; Path=${affinity.path}`;
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The `Cookie` header regex that recognises `cookie` (`name=value`) among others: `.*name=value.*`.
 * Weir difference: Flagger writes `.*name.*value.*`; Weir requires the `=` and escapes the name.
 */
export function cookieMatchRegex(cookie: string): string {
  const eq = cookie.indexOf('=');
  const name = eq < 0 ? cookie : cookie.slice(0, eq);
  const value = eq < 0 ? '' : cookie.slice(eq + 1);
  return `.*${escapeRegex(name)}=${escapeRegex(value)}.*`;
}
