import { describe, expect, it } from 'vitest';
import { schemaToTs, type JsonSchema } from '../schema-to-ts.js';
import { CRD_FILES, readCrd } from './crds.js';
import { asksRangeSize } from './index.js';

const HEADER = `// Generated from crds/*.yaml by src/api/v1alpha1/types.test.ts: do not edit.
// After changing a CRD schema, run \`npm run generate\`.
`;

describe('the TypeScript API types', () => {
  it('are generated from the CRD schemas (run `npm run generate` after changing crds/)', async () => {
    let code = HEADER;
    for (const kind of Object.keys(CRD_FILES) as (keyof typeof CRD_FILES)[]) {
      const schema = readCrd(kind).spec.versions[0]!.schema!.openAPIV3Schema as JsonSchema;
      for (const part of ['spec', 'status'] as const) {
        code += `\n${schemaToTs(`${kind}${part === 'spec' ? 'Spec' : 'Status'}`, schema.properties![part]!)}`;
      }
    }
    await expect(code).toMatchFileSnapshot('./types.generated.ts');
  });
});

describe('asksRangeSize: a report a Block was made with, asking for its first range size', () => {
  it.each([
    { name: 'a report on no range with a size', report: { token: 0, rangeSize: 4000 }, asks: true },
    {
      name: 'a sign of life on no range (a Lost Block come back)',
      report: { token: 0, renewTime: 'now' },
      asks: false,
    },
    { name: 'a report on a range, sizing the next', report: { token: 3, rangeSize: 4000 }, asks: false },
    { name: 'no report', report: undefined, asks: false },
  ])('$name: $asks', ({ report, asks }) => {
    expect(asksRangeSize(report)).toBe(asks);
  });
});
