import { GATEWAY_API_PREFIX, type TokenRole } from '../api/gateway.js';

/** A request the gateway serves, by what it asks (see docs/gateway.md for each). */
export type Route =
  | { kind: 'openapi' | 'healthz' | 'metrics' }
  | ({ kind: 'worklist' | 'progress' | 'items' | 'blocks' | 'claim' | 'complete' } & Target)
  | ({ kind: 'block' | 'report'; block: string } & Target);

export interface Target {
  namespace: string;
  worklist: string;
}

/** A request the gateway refuses before anything else: its status and one line. */
export interface Refusal {
  status: 400 | 404 | 405;
  message: string;
  hint: string;
}

/** What each route needs of a token (the unauthenticated ones need none). */
export const ROLE_NEEDED: Record<Route['kind'], TokenRole | undefined> = {
  openapi: undefined,
  healthz: undefined,
  metrics: undefined,
  worklist: 'read',
  progress: 'read',
  items: 'work',
  blocks: 'work',
  block: 'work',
  report: 'work',
  claim: 'work',
  complete: 'work',
};

const METHODS: Record<Route['kind'], string[]> = {
  openapi: ['GET'],
  healthz: ['GET'],
  metrics: ['GET'],
  worklist: ['GET'],
  progress: ['GET'],
  items: ['GET'],
  blocks: ['POST'],
  block: ['GET', 'DELETE'],
  report: ['PUT'],
  claim: ['POST'],
  complete: ['POST'],
};

/** A namespace: a DNS-1123 label. */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Worklist's or a Block's name: a DNS-1123 subdomain. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Is `name` one an object of the API may have (a DNS-1123 subdomain, at most 253 characters)? */
export const isObjectName = (name: string) => name.length <= 253 && SUBDOMAIN.test(name);

/**
 * The route of a request's method and raw path (as sent: no `..` resolved, no `%2F` decoded
 * into a separator, so a name can never reach another object's path), or why it is refused.
 */
export function route(method: string, rawUrl: string): Route | Refusal {
  const path = rawUrl.split('?')[0]!;
  const found = match(path);
  if ('status' in found) return found;
  if (!METHODS[found.kind].includes(method)) {
    return {
      status: 405,
      message: `${method} is not allowed on ${path}`,
      hint: `use ${METHODS[found.kind].join(' or ')}`,
    };
  }
  return found;
}

function match(path: string): Route | Refusal {
  if (path === '/openapi.json') return { kind: 'openapi' };
  if (path === '/healthz') return { kind: 'healthz' };
  if (path === '/metrics') return { kind: 'metrics' };
  const prefix = `${GATEWAY_API_PREFIX}/namespaces/`;
  if (!path.startsWith(prefix)) return notFound(path);
  const parts = path.slice(prefix.length).split('/');
  // namespaces/{ns}/worklists/{name}[/items|/blocks[/{block}[/report]]|/claim|/complete]
  const [namespace, worklists, worklist, sub, block, report, ...extra] = parts;
  if (worklists !== 'worklists' || worklist === undefined || extra.length > 0) return notFound(path);
  const bad =
    badName(namespace!, LABEL, 63, 'namespace') ??
    badName(worklist, SUBDOMAIN, 253, 'Worklist name') ??
    (block !== undefined ? badName(block, SUBDOMAIN, 253, 'Block name') : undefined);
  if (bad) return bad;
  const target = { namespace: namespace!, worklist };
  if (sub === undefined) return { kind: 'worklist', ...target };
  if (
    block === undefined &&
    (sub === 'progress' || sub === 'items' || sub === 'blocks' || sub === 'claim' || sub === 'complete')
  ) {
    return { kind: sub, ...target };
  }
  if (sub === 'blocks' && block !== undefined && report === undefined)
    return { kind: 'block', block, ...target };
  if (sub === 'blocks' && block !== undefined && report === 'report')
    return { kind: 'report', block, ...target };
  return notFound(path);
}

function badName(raw: string, pattern: RegExp, max: number, what: string): Refusal | undefined {
  if (raw.length <= max && pattern.test(raw)) return undefined;
  return {
    status: 400,
    message: `${JSON.stringify(raw.slice(0, 80))} is not a valid ${what}`,
    hint: 'names are lowercase letters, digits and dashes (kubectl get worklists shows them)',
  };
}

const notFound = (path: string): Refusal => ({
  status: 404,
  message: `no such API path: ${path.slice(0, 200)}`,
  hint: `the API is under ${GATEWAY_API_PREFIX}/namespaces/NS/worklists/NAME; see /openapi.json`,
});
