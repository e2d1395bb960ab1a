import { describe, expect, it } from 'vitest';
import { schemaToTs, type JsonSchema } from '../schema-to-ts.js';
import { CRD_FILES, readCrd } from './crds.js';

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
