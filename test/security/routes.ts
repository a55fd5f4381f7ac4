/**
 * The route table as data, for the suites that try an attack on every route (CSRF, oversized and
 * malformed input). `captureRoutes` is called from a `vi.mock` factory of src/server/routes.ts:
 * the gateway then builds its table as usual, and every row it adds is also recorded here, so a
 * route added later is enumerated without anyone listing it.
 */
import type { RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';
import { Check, Create } from 'typebox/value';

/** One row of the table as fastify received it. */
export interface CapturedRoute {
  readonly method: string;
  readonly url: string;
  readonly options: RouteOptions;
}

/** Where `captureRoutes` records (shared by the mock factory and the test, one module instance). */
export const captured: CapturedRoute[] = [];

/** Wraps `routeTable` so that each row it returns is also recorded in {@link captured}. */
export function captureRoutes<A extends unknown[], R extends ((app: never) => void)[]>(routeTable: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    const rows = routeTable(...args);
    captured.length = 0;
    for (const row of rows) {
      const recorder = {
        route: (options: RouteOptions) => {
          for (const method of [options.method].flat()) captured.push({ method: String(method), url: options.url, options });
        },
      };
      row(recorder as never);
    }
    return rows;
  };
}

/** `/api/x/:credentialID` with its parameters filled from the params schema (or `x`). */
export function concreteUrl(route: CapturedRoute): string {
  const params = schemaOf(route, 'params');
  const values = (params ? Create(params) : {}) as Record<string, unknown>;
  return route.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(String(values[name] || 'x')));
}

/** A body the route's schema accepts (TypeBox's default value, strings filled when a length is required), or undefined for none. */
export function validBody(route: CapturedRoute): unknown {
  const schema = schemaOf(route, 'body');
  if (!schema) return undefined;
  const created = fill(schema, Create(schema));
  if (!Check(schema, created)) throw new Error(`no valid body could be made for ${route.method} ${route.url}`);
  return created;
}

/** Whether the route's body schema accepts `value` (false when it has no body schema). */
export function bodyAccepts(route: CapturedRoute, value: unknown): boolean {
  const schema = schemaOf(route, 'body');
  return schema !== undefined && Check(schema, value);
}

/** The names of the body schema's fields (those of the first alternative of a union). */
export function bodyFields(route: CapturedRoute): string[] {
  const schema = schemaOf(route, 'body') as (TSchema & { properties?: object; anyOf?: { properties?: object }[] }) | undefined;
  return Object.keys(schema?.properties ?? schema?.anyOf?.[0]?.properties ?? {});
}

/** Whether every field of a body is a string (a form can carry it). */
export function formCompatible(body: unknown): body is Record<string, string> {
  return typeof body === 'object' && body !== null && Object.values(body).every((v) => typeof v === 'string');
}

function schemaOf(route: CapturedRoute, part: 'body' | 'params' | 'querystring' | 'headers'): TSchema | undefined {
  return (route.options.schema as Record<string, TSchema> | undefined)?.[part];
}

/** Strings that must not be empty get a value of their minimum length; nested objects are filled the same way. */
function fill(schema: TSchema, value: unknown): unknown {
  const s = schema as TSchema & { type?: string; minLength?: number; properties?: Record<string, TSchema>; anyOf?: TSchema[] };
  if (s.anyOf) return fill(s.anyOf[0]!, value);
  if (s.type === 'string' && typeof value === 'string' && value.length < (s.minLength ?? 0)) return 'x'.repeat(s.minLength ?? 1);
  if (s.type === 'object' && s.properties && typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, sub] of Object.entries(s.properties)) if (key in out) out[key] = fill(sub, out[key]);
    return out;
  }
  return value;
}
