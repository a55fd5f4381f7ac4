/** Authelia's error body of the portal's JSON API: `{"status":"KO","message":"…"}`. */
export interface KoBody {
  readonly status: 'KO';
  readonly message: string;
}

/** What sends a status and a body: a fastify reply (typed structurally: shared/ imports no framework). */
export interface KoSender<R> {
  status(code: number): { send(payload: KoBody): R };
}

/**
 * The one builder of the portal API's error answer, used by the portal, its guards and the
 * server's error renderer alike.
 */
export function sendKo<R>(reply: KoSender<R>, status: number, message: string): R {
  return reply.status(status).send(koBody(message));
}

/** The KO body itself, for an answer written without a framework (authz/http.ts). */
export function koBody(message: string): KoBody {
  return { status: 'KO', message };
}
