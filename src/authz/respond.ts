import type { FastifyReply, FastifyRequest } from 'fastify';
import { loginStatus, type Verdict } from './evaluate.js';
import { identityHeaders } from './identity-headers.js';

/** The four forward-auth flavours; they differ in how "go log in" and bad requests are answered. */
export type Flavour = 'forward-auth' | 'auth-request' | 'ext-authz' | 'legacy';

/**
 * Answers a verdict (authelia.md §2 "Responses"):
 * - allow → 200 with `Remote-User/-Groups/-Name/-Email` when a user is known;
 * - forbidden → 403 `403 Forbidden`;
 * - invalid → 400 `400 Bad Request` (legacy: 401), reason in the log only;
 * - login through a header (Basic, Bearer) → 401 with the verdict's `WWW-Authenticate` challenge;
 * - login, auth-request → 401 **with** `Location` (nginx turns it into a 302);
 * - login, others → 401 for XHR or a non-HTML `Accept`, else 302 (GET/HEAD/OPTIONS) or 303 to the portal;
 *   legacy without a portal URL → plain 401.
 */
export function respond(request: FastifyRequest, reply: FastifyReply, flavour: Flavour, verdict: Verdict, method: string): FastifyReply {
  switch (verdict.kind) {
    case 'allow':
      if (verdict.identity) void reply.headers(identityHeaders(verdict.identity));
      return reply.status(200).send();
    case 'forbidden':
      request.log.info({ reason: verdict.reason, user: verdict.username || undefined, ip: request.ip }, 'access forbidden');
      return text(reply, 403, '403 Forbidden');
    case 'invalid':
      request.log.warn({ reason: verdict.reason, ip: request.ip }, `${flavour} request refused as malformed`);
      return flavour === 'legacy' ? text(reply, 401, '401 Unauthorized') : text(reply, 400, '400 Bad Request');
    case 'login': {
      request.log.debug({ reason: verdict.reason, ip: request.ip }, 'authentication required');
      if (verdict.challenge !== undefined) return text(reply.header('www-authenticate', verdict.challenge), 401, '401 Unauthorized');
      const location = verdict.redirect?.href;
      if (location === undefined) return text(reply, 401, '401 Unauthorized');
      if (flavour === 'auth-request') return text(reply.header('location', location), 401, '401 Unauthorized');
      const status = loginStatus(method, request.headers.accept, header(request, 'x-requested-with'));
      if (status === 401) return text(reply, 401, '401 Unauthorized');
      const label = status === 302 ? '302 Found' : '303 See Other';
      return reply
        .status(status)
        .header('location', location)
        .type('text/html; charset=utf-8')
        .send(`<a href="${escapeHtml(location)}">${label}</a>`);
    }
  }
}

/** Answers a malformed request before evaluation: 400 (legacy: 401), the header named in the log. */
export function refuse(request: FastifyRequest, reply: FastifyReply, flavour: Flavour, reason: string): FastifyReply {
  return respond(request, reply, flavour, { kind: 'invalid', reason }, 'GET');
}

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).type('text/plain; charset=utf-8').send(body);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
