import { describe, expect, it } from 'vitest';
import { BadBody, checkClaim, checkComplete, checkNewBlock, checkReport } from './bodies.js';

describe('request bodies', () => {
  it.each([
    { name: 'a claim', check: checkClaim, body: { worker: 'ci-1', waitSeconds: 5 } },
    { name: 'a claim that does not wait', check: checkClaim, body: { worker: 'ci-1' } },
    { name: 'a completion', check: checkComplete, body: { block: 'b', token: 3, failed: '4,7' } },
    { name: 'a new Block', check: checkNewBlock, body: { worker: 'me@host', splittable: true } },
    {
      name: 'a progress report',
      check: checkReport,
      body: { token: 3, done: '0-4', renewTime: '2026-12-04T00:00:00Z' },
    },
    {
      name: 'a switch report',
      check: checkReport,
      body: { token: 4, finished: { token: 3, done: '0-9' }, rangeSize: 20 },
    },
    { name: 'a release', check: checkReport, body: { token: 3, release: true, next: true, yieldFrom: 7 } },
  ])('takes $name', ({ check, body }) => {
    expect(check(body)).toMatchObject(body);
  });

  it.each([
    { name: 'an array', check: checkClaim, body: [], why: /must be a JSON object/ },
    { name: 'a claim without a worker', check: checkClaim, body: {}, why: /worker is required/ },
    { name: 'a worker name with spaces', check: checkClaim, body: { worker: 'a b' }, why: /worker must be/ },
    {
      name: 'a negative wait',
      check: checkClaim,
      body: { worker: 'w', waitSeconds: -1 },
      why: /waitSeconds/,
    },
    {
      name: 'an unknown field',
      check: checkClaim,
      body: { worker: 'w', admin: true },
      why: /unknown field "admin"/,
    },
    {
      name: 'a completion without a token',
      check: checkComplete,
      body: { block: 'b' },
      why: /token is required/,
    },
    {
      name: 'offsets that are not offsets',
      check: checkComplete,
      body: { block: 'b', token: 1, done: 'all' },
      why: /done must be offsets/,
    },
    {
      name: 'a completion of a Block name that is not one (a path in it)',
      check: checkComplete,
      body: { block: 'b/status', token: 1 },
      why: /block must be the block claim returned/,
    },
    {
      name: 'a range size of 0 (the CRD wants at least 1)',
      check: checkReport,
      body: { token: 1, rangeSize: 0 },
      why: /rangeSize must be a whole number, at least 1/,
    },
    {
      name: 'a renew time that is a date only (the CRD wants a date-time)',
      check: checkReport,
      body: { token: 1, renewTime: '2026-12-04' },
      why: /renewTime must be an RFC 3339 time/,
    },
    {
      name: 'a report token that is not a count',
      check: checkReport,
      body: { token: 1.5 },
      why: /token must be/,
    },
    {
      name: 'a report with a status in it',
      check: checkReport,
      body: { token: 1, phase: 'Drained' },
      why: /unknown field "phase"/,
    },
    {
      name: 'a finished that is not one',
      check: checkReport,
      body: { token: 1, finished: { done: '1' } },
      why: /token is required/,
    },
    {
      name: 'a message too long',
      check: checkReport,
      body: { token: 1, message: 'x'.repeat(513) },
      why: /message must be/,
    },
  ])('refuses $name, saying which field', ({ check, body, why }) => {
    expect(() => check(body)).toThrow(BadBody);
    expect(() => check(body)).toThrow(why);
  });
});
