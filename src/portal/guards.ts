import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import { originOf } from '../shared/authority.js';
import { requestViewOf } from '../shared/http/request-view.js';
import { sendKo } from '../shared/http/ko.js';
import { crossSiteReason } from './csrf.js';
import type { PortalDeps } from './deps.js';
import { portalSecurityHeaders } from './security-headers.js';

/** Refuses cross-site state-changing requests with a generic 403 (the reason is logged). */
export function sameOriginOnly(deps: PortalDeps): preHandlerHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done) => {
    const reason = crossSiteReason({
      secFetchSite: header(request, 'sec-fetch-site'),
      origin: header(request, 'origin'),
      contentType: header(request, 'content-type'),
      ownOrigin: ownOrigin(request),
    });
    if (reason === undefined) return done();
    deps.logger.warn({ ip: requestViewOf(request.raw).ip, path: request.url, reason }, 'cross-site request refused');
    sendKo(reply.header('cache-control', 'no-store'), 403, 'Forbidden');
  };
}

/**
 * Adds the portal's security headers to every answer of a portal route. With
 * `server.headers.csp_template` the Content-Security-Policy is the template, each `${NONCE}`
 * replaced by a fresh nonce for this answer (Authelia's placeholder; the portal's pages carry no
 * inline code, so the nonce permits nothing of ours).
 */
export function portalHeaders(deps: PortalDeps): onSendHookHandler {
  const headers = portalSecurityHeaders(deps.cookies, deps.formTargets);
  const template = deps.cspTemplate;
  return (_request, reply, payload, done) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!reply.hasHeader(name) || name !== 'cache-control') void reply.header(name, value);
    }
    if (template !== undefined) void reply.header('content-security-policy', withNonce(template, deps.nonce));
    done(null, payload);
  };
}

/** Authelia's nonce placeholder in `csp_template`. */
const noncePlaceholder = '$' + '{NONCE}';

/** `template` with every `${NONCE}` replaced by one fresh nonce. */
function withNonce(template: string, nonce: () => string): string {
  return template.includes(noncePlaceholder) ? template.replaceAll(noncePlaceholder, nonce()) : template;
}

/** `https://auth.example.com` as the browser names it in `Origin` (default port left out). */
function ownOrigin(request: FastifyRequest): string {
  const view = requestViewOf(request.raw);
  return view.authority ? originOf(view.proto, view.authority) : '';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
