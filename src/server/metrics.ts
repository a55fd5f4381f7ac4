import type { Counter, Histogram, MetricObjectWithValues, MetricValueWithName } from 'prom-client';
import type { AuthzAsker, AuthzOutcome, AuthzPolicy, ObservedEvent, RequestGroup } from '../shared/observe.js';

/**
 * The Prometheus series (docs/observability.md lists them). prom-client is imported only when
 * `telemetry.metrics.enabled` is set ({@link createMetrics}): a gateway without metrics does not
 * load it.
 *
 * The hot path (every forward-auth check, every request) writes plain numbers into fixed
 * tables — an index computed from its labels, one increment, nothing allocated — and the
 * tables are read into prom-client's series at scrape time. The rare events (logins, tokens,
 * logouts …) use prom-client's counters directly.
 */
export interface Metrics {
  request(group: RequestGroup, status: number, seconds: number): void;
  authz(asker: AuthzAsker, outcome: AuthzOutcome, policy: AuthzPolicy | undefined): void;
  event(event: ObservedEvent): void;
  /** The exposition text (Prometheus text format 0.0.4) and its content type. */
  scrape(): Promise<{ readonly body: string; readonly contentType: string }>;
}

const groups: readonly RequestGroup[] = ['forward-auth', 'proxy', 'portal', 'oidc', 'health', 'other'];
const askers: readonly AuthzAsker[] = ['forward-auth', 'auth-request', 'ext-authz', 'legacy', 'proxy'];
const outcomes: readonly AuthzOutcome[] = ['allow', 'login', 'forbidden', 'invalid'];
const policies: readonly AuthzPolicy[] = ['bypass', 'one_factor', 'two_factor', 'deny', 'none'];
const indexOf = <T extends string>(names: readonly T[]) => Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;
const groupIndex = indexOf(groups);
const askerIndex = indexOf(askers);
const outcomeIndex = indexOf(outcomes);
const policyIndex = indexOf(policies);

/** Status codes 100–599 each have a cell; anything else counts under `code="other"`. */
const codes = 600;

/**
 * Request duration buckets, in seconds: forward-auth answers in tens of microseconds, a
 * password login in tens of milliseconds, a slow upstream in seconds.
 */
export const durationBuckets: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Loads prom-client and registers every series, Node's default process metrics included. */
export async function createMetrics(): Promise<Metrics> {
  const client = await import('prom-client');
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new Float64Array(groups.length * codes);
  const decisions = new Float64Array(askers.length * outcomes.length * policies.length);
  const slots = durationBuckets.length + 1;
  const buckets = new Float64Array(groups.length * slots);
  const sums = new Float64Array(groups.length);
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (this: Counter<L>) => void): Counter<L> =>
    new client.Counter({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });

  counter('gatehouse_request', 'Requests answered, by endpoint group and status code.', ['group', 'code'], function () {
    this.reset();
    requests.forEach((n, cell) => {
      const status = cell % codes;
      if (n > 0) this.inc({ group: groups[Math.floor(cell / codes)]!, code: status === 0 ? 'other' : String(status) }, n);
    });
  });
  counter(
    'gatehouse_authz',
    'Authorisation decisions, by endpoint (forward-auth flavour or proxy), policy and outcome.',
    ['endpoint', 'policy', 'outcome'],
    function () {
      this.reset();
      decisions.forEach((n, cell) => {
        if (n === 0) return;
        const policy = cell % policies.length;
        const rest = Math.floor(cell / policies.length);
        this.inc({ endpoint: askers[Math.floor(rest / outcomes.length)]!, outcome: outcomes[rest % outcomes.length]!, policy: policies[policy]! }, n);
      });
    },
  );
  registry.registerMetric(tableHistogram(client.Histogram, { buckets, sums, slots }));
  const c = {
    authn: counter('gatehouse_authn', 'Authentication attempts, by method (1fa, totp, webauthn, passkey), success and ban.', ['method', 'success', 'banned']),
    bans: counter('gatehouse_bans', 'Bans written by regulation, by scope (user, ip).', ['scope']),
    consent: counter('gatehouse_consent', 'Consent decisions (granted, denied) and applications revoked by their user.', ['action']),
    issued: counter('gatehouse_oidc_tokens_issued', 'Token responses of the token endpoint, by grant type.', ['grant']),
    revoked: counter('gatehouse_oidc_tokens_revoked', 'Revocations of OpenID Connect tokens (one token, or a grant with all its tokens), by reason.', [
      'reason',
    ]),
    logout: counter('gatehouse_logout', 'Sign-outs asked for, by kind (portal, everywhere, rp_initiated, frontchannel).', ['kind']),
    ended: counter('gatehouse_session_ended', 'Signed-in sessions ended, by reason.', ['reason']),
    backchannel: counter('gatehouse_backchannel_logout', 'Back-channel logout tokens: sent, failed attempts, given up.', ['outcome']),
    password: counter('gatehouse_password', 'Password changes and resets, by outcome.', ['action', 'outcome']),
    secondFactor: counter('gatehouse_second_factor', 'Second factors added or removed by their user.', ['action', 'method']),
    elevation: counter('gatehouse_session_elevation', 'Session elevations: codes sent, elevations granted, wrong codes, codes revoked.', ['action']),
    storeErrors: counter('gatehouse_store_errors', 'Calls to a store that could not answer (session.redis, storage.postgres).', ['store']),
  };

  return {
    request(group, status, seconds) {
      const g = groupIndex[group];
      requests[g * codes + (status >= 100 && status < codes ? status : 0)]!++;
      let slot = 0;
      while (slot < durationBuckets.length && seconds > durationBuckets[slot]!) slot++;
      buckets[g * slots + slot]!++;
      sums[g]! += seconds;
    },
    authz(asker, outcome, policy) {
      decisions[(askerIndex[asker] * outcomes.length + outcomeIndex[outcome]) * policies.length + policyIndex[policy ?? 'none']]!++;
    },
    event(e) {
      switch (e.event) {
        case 'authn':
          return c.authn.inc({ method: e.method, success: String(e.outcome === 'success'), banned: String(e.outcome === 'banned') });
        case 'ban':
          return c.bans.inc({ scope: e.scope });
        case 'consent':
          return c.consent.inc({ action: e.action });
        case 'token_issued':
          return c.issued.inc({ grant: e.grant });
        case 'token_revoked':
          return c.revoked.inc({ reason: e.reason });
        case 'logout':
          return c.logout.inc({ kind: e.kind });
        case 'frontchannel_logout':
          return c.logout.inc({ kind: 'frontchannel' });
        case 'session_ended':
          return c.ended.inc({ reason: e.reason });
        case 'backchannel_logout':
          return c.backchannel.inc({ outcome: e.outcome });
        case 'password':
          return c.password.inc({ action: e.action, outcome: e.outcome });
        case 'second_factor':
          return c.secondFactor.inc({ action: e.action, method: e.method });
        case 'elevation':
          return c.elevation.inc({ action: e.action });
        case 'store_error':
          return c.storeErrors.inc({ store: e.store });
      }
    },
    async scrape() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

/**
 * `gatehouse_request_duration{group}`: a prom-client histogram whose values are read from the
 * tables at scrape time (its own `observe` is never called: it allocates per observation).
 */
function tableHistogram(
  Base: typeof Histogram,
  table: { readonly buckets: Float64Array; readonly sums: Float64Array; readonly slots: number },
): Histogram<'group' | 'le'> {
  const name = 'gatehouse_request_duration';
  const help = 'Time to answer a request, in seconds, by endpoint group (forward-auth, proxy: until the upstream answered, portal, oidc …).';
  type Values = MetricObjectWithValues<MetricValueWithName<'group' | 'le'>>;
  // `le` is typed as a label so that bucket lines can carry it; prom-client refuses it as a declared label name.
  class TableHistogram extends Base<'group' | 'le'> {
    override async get(): Promise<Values> {
      const values: MetricValueWithName<'group' | 'le'>[] = [];
      groups.forEach((group, g) => {
        const first = values.length;
        let cumulative = 0;
        for (let slot = 0; slot < table.slots; slot++) {
          cumulative += table.buckets[g * table.slots + slot]!;
          values.push({ metricName: `${name}_bucket`, labels: { group, le: durationBuckets[slot] ?? '+Inf' }, value: cumulative });
        }
        if (cumulative === 0) values.length = first;
        else
          values.push(
            { metricName: `${name}_sum`, labels: { group }, value: table.sums[g]! },
            { metricName: `${name}_count`, labels: { group }, value: cumulative },
          );
      });
      // prom-client's typings declare `type` as a numeric enum its JavaScript never uses: the registry prints this string.
      return { name, help, type: 'histogram' as unknown as Values['type'], aggregator: 'sum', collect: () => undefined, values };
    }

    /** The registry prefers this to `get` when a metric has it (prom-client 15): the same values. */
    getForPromString(): Promise<Values> {
      return this.get();
    }
  }
  return new TableHistogram({ name, help, labelNames: ['group'], buckets: [...durationBuckets], registers: [] });
}
