import { GATEWAY_API_PREFIX, MAX_BODY_BYTES, MAX_WAIT_SECONDS } from '../api/gateway.js';

/**
 * The gateway's OpenAPI document, served at /openapi.json and checked in as
 * docs/gateway-openapi.json (openapi.test.ts keeps the two the same).
 */
const base = `${GATEWAY_API_PREFIX}/namespaces/{namespace}/worklists/{worklist}`;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c], ...json(ref('Error')) }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'a name that is not a DNS label or subdomain, or a body that is not what the route takes',
  401: 'no token, or one that is not valid: never made, revoked, expired',
  403: "the token is for another Worklist or namespace, is read-only, or the Block is not the token's; or the items are outside the namespace, or in a ConfigMap the caller may not read",
  404: 'no such Worklist or Block',
  409: "the fencing token is not one of the Block's ranges any more (stale), or the items are nowhere (a missing ConfigMap or parent)",
  413: `a body larger than ${MAX_BODY_BYTES} bytes`,
  429: "over the token's rate or its waiting claims, or a ResourceQuota refuses the Block; see Retry-After",
  502: 'the API server failed',
};
const blockParam = { name: 'block', in: 'path', required: true, schema: { type: 'string' } };
const common = [400, 401, 403, 404, 429, 502];

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Teamtask gateway',
    version: 'v1',
    description:
      'Work on a Worklist without a kubeconfig: claim ranges of items, report them, read progress. Every route but /openapi.json, /healthz and /metrics takes a bearer token made by `kubectl teamtask token create`. See docs/gateway.md.',
  },
  components: {
    securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['message', 'hint'],
        properties: { message: { type: 'string' }, hint: { type: 'string' } },
      },
      Range: {
        type: 'object',
        required: ['block', 'token', 'index', 'size', 'attempt', 'items'],
        properties: {
          block: { type: 'string', description: "the caller's Block" },
          token: { type: 'integer', description: 'the fencing token: complete and report carry it' },
          index: { type: 'integer', description: 'the first offset' },
          size: { type: 'integer' },
          attempt: { type: 'integer' },
          items: { type: 'array', items: { type: 'string' } },
        },
      },
      Claim: {
        type: 'object',
        required: ['block', 'finished'],
        properties: {
          block: { type: 'string', description: "the caller's Block: delete it when finished" },
          finished: { type: 'boolean', description: 'the Worklist is finished: nothing will come' },
          range: ref('Range'),
        },
      },
      Report: {
        type: 'object',
        description: "a Block's spec.report, as the worker runtime writes it (docs/api.md)",
        required: ['token'],
        properties: {
          token: { type: 'integer' },
          done: { type: 'string', description: 'offsets like 0-9,12' },
          failed: { type: 'string' },
          message: { type: 'string', maxLength: 512 },
          complete: { type: 'boolean' },
          release: { type: 'boolean' },
          next: { type: 'boolean' },
          renewTime: { type: 'string', format: 'date-time' },
          rangeSize: { type: 'integer' },
          yieldFrom: { type: 'integer' },
          finished: {
            type: 'object',
            required: ['token'],
            properties: { token: { type: 'integer' }, done: { type: 'string' }, failed: { type: 'string' } },
          },
        },
      },
      Progress: {
        type: 'object',
        required: ['name', 'total', 'completed', 'failed', 'inFlight', 'pending', 'percent', 'complete'],
        properties: {
          name: { type: 'string' },
          total: { type: 'integer' },
          completed: { type: 'integer' },
          failed: { type: 'integer' },
          inFlight: { type: 'integer', description: 'held by a worker and not yet reported' },
          pending: { type: 'integer' },
          percent: { type: 'number' },
          itemsPerSecond: { type: 'number' },
          etaSeconds: { type: 'number' },
          complete: { type: 'boolean' },
        },
      },
      Object: {
        type: 'object',
        description: 'a Worklist or Block as the API server has it, without managed fields',
      },
    },
  },
  security: [{ token: [] }],
  paths: {
    [base]: {
      parameters: [
        { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'worklist', in: 'path', required: true, schema: { type: 'string' } },
      ],
      get: {
        summary: 'The Worklist: its spec and status (counts, ranges, rate, conditions). Role read.',
        responses: { '200': { description: 'the Worklist', ...json(ref('Object')) }, ...errors(...common) },
      },
    },
    [`${base}/progress`]: {
      get: {
        summary:
          'Its progress, as `kubectl teamtask status` computes it from the ledger: counts, percent, items/s, ETA. Role read.',
        responses: { '200': { description: 'the progress', ...json(ref('Progress')) }, ...errors(...common) },
      },
    },
    [`${base}/claim`]: {
      post: {
        summary: `Claim a range: the caller's Block for this worker (made on first use) and the range it holds, with its items; waits up to waitSeconds (at most ${MAX_WAIT_SECONDS}). Role work.`,
        requestBody: json({
          type: 'object',
          required: ['worker'],
          properties: { worker: { type: 'string' }, waitSeconds: { type: 'integer', minimum: 0 } },
        }),
        responses: {
          '200': { description: 'a range, none yet, or finished', ...json(ref('Claim')) },
          ...errors(...common, 409, 413),
        },
      },
    },
    [`${base}/complete`]: {
      post: {
        summary:
          'End a claimed range: done (default all of it but failed) and failed offsets, fenced by its token. Role work.',
        requestBody: json({
          type: 'object',
          required: ['block', 'token'],
          properties: {
            block: { type: 'string' },
            token: { type: 'integer' },
            done: { type: 'string' },
            failed: { type: 'string' },
            message: { type: 'string' },
          },
        }),
        responses: { '200': { description: 'written' }, ...errors(...common, 409, 413) },
      },
    },
    [`${base}/items`]: {
      get: {
        summary:
          "Where the Worklist's items are: its source, and the lines of a ConfigMap source. Role work.",
        responses: { '200': { description: 'source and lines' }, ...errors(...common, 409) },
      },
    },
    [`${base}/blocks`]: {
      post: {
        summary: 'A new Block for the caller (what the worker runtime does first). Role work.',
        requestBody: json({
          type: 'object',
          required: ['worker'],
          properties: { worker: { type: 'string' }, splittable: { type: 'boolean' } },
        }),
        responses: {
          '201': {
            description: 'its name',
            ...json({ type: 'object', properties: { block: { type: 'string' } } }),
          },
          ...errors(...common, 413),
        },
      },
    },
    [`${base}/blocks/{block}`]: {
      parameters: [blockParam],
      get: {
        summary: "The caller's Block: its report and status (its ranges). Role work.",
        responses: { '200': { description: 'the Block', ...json(ref('Object')) }, ...errors(...common) },
      },
      delete: {
        summary: "Delete the caller's Block: what it did not report goes back. Role work.",
        responses: { '200': { description: 'deleted' }, ...errors(...common) },
      },
    },
    [`${base}/blocks/{block}/report`]: {
      parameters: [blockParam],
      put: {
        summary: "Replace the Block's report, fenced by its token (the current or next range's). Role work.",
        requestBody: json(ref('Report')),
        responses: { '200': { description: 'written' }, ...errors(...common, 409, 413) },
      },
    },
  },
} as const;
