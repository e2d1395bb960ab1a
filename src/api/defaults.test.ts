import { describe, expect, it } from 'vitest';
import { readCrd } from './v1alpha1/crds.js';
import { effectiveSpec, itemsKey, WORKLIST_DEFAULTS } from './defaults.js';
import { DEFAULT_ITEMS_KEY } from './names.js';

type Schema = { properties?: Record<string, Schema>; default?: unknown };

const specSchema = (): Schema => {
  const crd = readCrd('Worklist');
  return (crd.spec.versions[0]!.schema!.openAPIV3Schema as Schema).properties!.spec!;
};

describe('Worklist defaults', () => {
  it.each(Object.entries(WORKLIST_DEFAULTS))('spec.%s defaults to what the CRD says', (field, value) => {
    expect(specSchema().properties![field]!.default).toBe(value);
  });

  it('a ConfigMap source reads the key the CRD defaults to', () => {
    expect(specSchema().properties!.source!.properties!.configMap!.properties!.key!.default).toBe(
      DEFAULT_ITEMS_KEY,
    );
    expect(itemsKey({ name: 'cm' })).toBe(DEFAULT_ITEMS_KEY);
    expect(itemsKey({ name: 'cm', key: 'hosts' })).toBe('hosts');
  });

  it('fills only what the spec leaves out', () => {
    expect(effectiveSpec({})).toEqual({ maxAttempts: 3, leaseSeconds: 60, suspend: false });
    expect(effectiveSpec({ maxAttempts: 1, leaseSeconds: 5, suspend: true })).toEqual({
      maxAttempts: 1,
      leaseSeconds: 5,
      suspend: true,
    });
  });
});
