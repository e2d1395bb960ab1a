import { describe, expect, it } from 'vitest';
import { gatewayPaths } from '../api/gateway.js';
import { OPENAPI } from './openapi.js';
import { route } from './routes.js';

describe('the OpenAPI document', () => {
  it('is the one checked in (npm run generate writes it)', async () => {
    await expect(`${JSON.stringify(OPENAPI, null, 2)}\n`).toMatchFileSnapshot(
      '../../docs/gateway-openapi.json',
    );
  });

  it('describes every route the gateway serves, with the methods it takes', () => {
    const p = gatewayPaths('{namespace}', '{worklist}');
    const served = {
      [p.worklist]: ['get'],
      [p.progress]: ['get'],
      [p.items]: ['get'],
      [p.blocks]: ['post'],
      [p.block('{block}')]: ['get', 'delete'],
      [p.report('{block}')]: ['put'],
      [p.claim]: ['post'],
      [p.complete]: ['post'],
    };
    const documented = Object.fromEntries(
      Object.entries(OPENAPI.paths).map(([path, ops]) => [
        path,
        Object.keys(ops)
          .filter((k) => k !== 'parameters')
          .sort(),
      ]),
    );
    expect(documented).toEqual(
      Object.fromEntries(Object.entries(served).map(([k, v]) => [k, [...v].sort()])),
    );
    for (const [path, methods] of Object.entries(served)) {
      const concrete = path.replace('{namespace}', 'ns').replace('{worklist}', 'w').replace('{block}', 'b');
      for (const m of methods) expect(route(m.toUpperCase(), concrete)).not.toHaveProperty('status');
    }
  });
});
