/**
 * Request ids for the log (`reqId`), `req-1`, `req-2`… in base 36 as fastify numbers them: one
 * generator per server, shared by fastify (`genReqId`) and the forward-auth fast path, so an id
 * names one request whichever path answered it. Wraps at 2³¹ − 1.
 */
export function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}
