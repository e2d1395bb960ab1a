import type { BlockSpecReport } from '../api/v1alpha1/index.js';
import { MAX_REPORT_CHARS, RANGES_PATTERN } from '../ledger/limits.js';
import { isObjectName } from './routes.js';

/**
 * The request bodies the gateway takes, checked before anything is written: a body that is not
 * what its route takes is a 400 with the field to change, never an API server's 422 nor a
 * report the controller would have to skip.
 */
export class BadBody extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** POST …/blocks. */
export interface NewBlockBody {
  worker: string;
  splittable: boolean;
}

/** POST …/claim. */
export interface ClaimBody {
  worker: string;
  waitSeconds?: number;
}

/** POST …/complete. */
export interface CompleteBody {
  block: string;
  token: number;
  done?: string;
  failed?: string;
  message?: string;
}

const ranges = new RegExp(RANGES_PATTERN);
/** The CRD's maxLength of spec.report.message. */
const MAX_MESSAGE_CHARS = 512;

type Json = Record<string, unknown>;

function object(body: unknown): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadBody('the body must be a JSON object', 'send {"…": …} with content-type application/json');
  }
  return body as Json;
}

function only(o: Json, allowed: readonly string[]): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new BadBody(`unknown field ${JSON.stringify(extra[0])}`, `the fields are ${allowed.join(', ')}`);
  }
}

function field<T>(
  o: Json,
  key: string,
  ok: (v: unknown) => boolean,
  want: string,
  required: boolean,
): T | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) throw new BadBody(`${key} is required`, `send ${key}: ${want}`);
    return undefined;
  }
  if (!ok(v)) throw new BadBody(`${key} must be ${want}`, `send ${key}: ${want}`);
  return v as T;
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isRanges = (v: unknown) => typeof v === 'string' && v.length <= MAX_REPORT_CHARS && ranges.test(v);
const isBool = (v: unknown) => typeof v === 'boolean';
const isMessage = (v: unknown) => typeof v === 'string' && v.length <= MAX_MESSAGE_CHARS;
/** A worker's name, for people: printable, short. */
const isWorker = (v: unknown) => typeof v === 'string' && /^[\x21-\x7e]{1,100}$/.test(v);
const isPositive = (v: unknown) => isCount(v) && (v as number) >= 1;
/** An RFC 3339 date-time, as the CRD's `format: date-time` wants it (a date alone is not one). */
const isTime = (v: unknown) =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) &&
  !Number.isNaN(Date.parse(v));

const RANGES = 'offsets like "0-9,12"';

export function checkNewBlock(body: unknown): NewBlockBody {
  const o = object(body);
  only(o, ['worker', 'splittable']);
  return {
    worker: field<string>(o, 'worker', isWorker, 'a name of 1 to 100 printable characters', true)!,
    splittable: field<boolean>(o, 'splittable', isBool, 'true or false', false) ?? false,
  };
}

export function checkClaim(body: unknown): ClaimBody {
  const o = object(body);
  only(o, ['worker', 'waitSeconds']);
  const waitSeconds = field<number>(o, 'waitSeconds', isCount, 'a whole number of seconds', false);
  return {
    worker: field<string>(o, 'worker', isWorker, 'a name of 1 to 100 printable characters', true)!,
    ...(waitSeconds !== undefined ? { waitSeconds } : {}),
  };
}

export function checkComplete(body: unknown): CompleteBody {
  const o = object(body);
  only(o, ['block', 'token', 'done', 'failed', 'message']);
  const done = field<string>(o, 'done', isRanges, RANGES, false);
  const failed = field<string>(o, 'failed', isRanges, RANGES, false);
  const message = field<string>(
    o,
    'message',
    isMessage,
    `a string of at most ${MAX_MESSAGE_CHARS} characters`,
    false,
  );
  return {
    block: field<string>(
      o,
      'block',
      (v) => typeof v === 'string' && isObjectName(v),
      'the block claim returned',
      true,
    )!,
    token: field<number>(o, 'token', isCount, 'the token claim returned', true)!,
    ...(done !== undefined ? { done } : {}),
    ...(failed !== undefined ? { failed } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

/** A Block's report (spec.report, docs/api.md), as the worker runtime writes it. */
export function checkReport(body: unknown): BlockSpecReport {
  const o = object(body);
  only(o, [
    'token',
    'done',
    'failed',
    'message',
    'complete',
    'release',
    'next',
    'renewTime',
    'rangeSize',
    'yieldFrom',
    'finished',
  ]);
  field(o, 'token', isCount, "the range's token", true);
  for (const k of ['done', 'failed']) field(o, k, isRanges, RANGES, false);
  for (const k of ['complete', 'release', 'next']) field(o, k, isBool, 'true or false', false);
  field(o, 'rangeSize', isPositive, 'a whole number, at least 1', false);
  field(o, 'yieldFrom', isCount, 'a whole number', false);
  field(o, 'message', isMessage, `a string of at most ${MAX_MESSAGE_CHARS} characters`, false);
  field(o, 'renewTime', isTime, 'an RFC 3339 time', false);
  if (o.finished !== undefined) {
    const f = object(o.finished);
    only(f, ['token', 'done', 'failed']);
    field(f, 'token', isCount, "the finished range's token", true);
    for (const k of ['done', 'failed']) field(f, k, isRanges, RANGES, false);
  }
  return o as unknown as BlockSpecReport;
}
