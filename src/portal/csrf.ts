/**
 * Cross-site request check for state-changing portal requests (OWASP: verify origin with
 * standard headers). SameSite cookies are a second line, not the only one.
 *
 * - `Sec-Fetch-Site`, when sent (every current browser), must be `same-origin`.
 * - Otherwise `Origin`, when sent, must be the portal's own origin.
 * - A request with neither is not from a current browser; it is accepted only as JSON
 *   (`Content-Type: application/json`), which a cross-site page cannot send without a CORS
 *   preflight that Gatehouse never grants. Scripts using the JSON API keep working.
 *
 * @returns undefined when allowed, else the reason (logged; the client gets a generic 403).
 */
export function crossSiteReason(headers: {
  secFetchSite?: string | undefined;
  origin?: string | undefined;
  contentType?: string | undefined;
  ownOrigin: string;
}): string | undefined {
  if (headers.secFetchSite !== undefined) {
    return headers.secFetchSite === 'same-origin' ? undefined : `Sec-Fetch-Site is '${headers.secFetchSite}'`;
  }
  if (headers.origin !== undefined) {
    return headers.origin === headers.ownOrigin ? undefined : `Origin '${headers.origin}' is not '${headers.ownOrigin}'`;
  }
  const json = /^application\/json\s*(;|$)/i.test(headers.contentType ?? '');
  return json ? undefined : 'neither Sec-Fetch-Site nor Origin was sent with a non-JSON body';
}
