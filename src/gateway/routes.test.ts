import { describe, expect, it } from 'vitest';
import { route } from './routes.js';

const base = '/v1/namespaces/team/worklists/primes';

describe('route', () => {
  it.each([
    {
      name: 'the Worklist',
      method: 'GET',
      path: base,
      want: { kind: 'worklist', namespace: 'team', worklist: 'primes' },
    },
    { name: 'its items', method: 'GET', path: `${base}/items`, want: { kind: 'items' } },
    { name: 'its progress', method: 'GET', path: `${base}/progress`, want: { kind: 'progress' } },
    { name: 'a new Block', method: 'POST', path: `${base}/blocks`, want: { kind: 'blocks' } },
    {
      name: 'a Block',
      method: 'GET',
      path: `${base}/blocks/primes-gw-abcde`,
      want: { kind: 'block', block: 'primes-gw-abcde' },
    },
    {
      name: 'a Block deleted',
      method: 'DELETE',
      path: `${base}/blocks/b`,
      want: { kind: 'block', block: 'b' },
    },
    {
      name: "a Block's report",
      method: 'PUT',
      path: `${base}/blocks/b/report`,
      want: { kind: 'report', block: 'b' },
    },
    { name: 'a claim', method: 'POST', path: `${base}/claim`, want: { kind: 'claim' } },
    { name: 'a completion', method: 'POST', path: `${base}/complete`, want: { kind: 'complete' } },
    {
      name: 'a query string is not part of the path',
      method: 'GET',
      path: `${base}?x=1`,
      want: { kind: 'worklist' },
    },
    {
      name: 'a dotted Worklist name (a DNS subdomain)',
      method: 'GET',
      path: '/v1/namespaces/team/worklists/a.b',
      want: { worklist: 'a.b' },
    },
    { name: 'the OpenAPI document', method: 'GET', path: '/openapi.json', want: { kind: 'openapi' } },
  ])('serves $name', ({ method, path, want }) => {
    expect(route(method, path)).toMatchObject(want);
  });

  it.each([
    { name: 'a path of no route', method: 'GET', path: '/v1/namespaces/team', status: 404 },
    { name: 'more after a report', method: 'PUT', path: `${base}/blocks/b/report/x`, status: 404 },
    { name: 'an unknown sub-resource', method: 'GET', path: `${base}/secrets`, status: 404 },
    { name: "the API server's own paths", method: 'GET', path: '/api/v1/secrets', status: 404 },
    { name: 'a method the route does not take', method: 'DELETE', path: base, status: 405 },
    { name: 'a traversal', method: 'GET', path: '/v1/namespaces/team/worklists/../../x', status: 400 },
    {
      name: 'an encoded traversal',
      method: 'GET',
      path: '/v1/namespaces/%2e%2e/worklists/primes',
      status: 400,
    },
    { name: 'an encoded separator in a name', method: 'GET', path: `${base}%2F..%2Fother`, status: 400 },
    {
      name: 'a namespace with capitals',
      method: 'GET',
      path: '/v1/namespaces/Team/worklists/primes',
      status: 400,
    },
    {
      name: 'a namespace with a dot (a label has none)',
      method: 'GET',
      path: '/v1/namespaces/a.b/worklists/primes',
      status: 400,
    },
    {
      name: 'a namespace longer than 63',
      method: 'GET',
      path: `/v1/namespaces/${'a'.repeat(64)}/worklists/primes`,
      status: 400,
    },
    { name: 'an empty Block name', method: 'GET', path: `${base}/blocks//report`, status: 400 },
  ])('refuses $name with $status', ({ method, path, status }) => {
    expect(route(method, path)).toMatchObject({ status });
  });
});
