import { describe, expect, it } from 'vitest';
import { readCrd } from '../api/v1alpha1/crds.js';
import { MAX_REPORT_CHARS, MAX_REPORT_RANGES, RANGES_PATTERN } from './limits.js';
import { RangeSet } from './range-set.js';

interface Schema {
  properties?: Record<string, Schema>;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
}
const blockReport = () =>
  (readCrd('Block').spec.versions[0]!.schema!.openAPIV3Schema as Schema).properties!.spec!.properties!
    .report!;

describe('the report limits', () => {
  it('are the limits of the Block CRD', () => {
    const report = blockReport().properties!;
    for (const field of ['done', 'failed']) {
      expect(report[field]).toMatchObject({ maxLength: MAX_REPORT_CHARS, pattern: RANGES_PATTERN });
    }
    expect(report.token!.minimum).toBe(0);
  });

  it('leave room for the longest report a worker writes', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const widest = RangeSet.of(
      ...Array.from({ length: MAX_REPORT_RANGES }, (_, i) => ({ start: max - 3 * i - 1, end: max - 3 * i })),
    );
    expect(widest.ranges).toHaveLength(MAX_REPORT_RANGES);
    expect(widest.toString().length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    expect(new RegExp(RANGES_PATTERN).test(widest.toString())).toBe(true);
  });

  it.each(['abc', '-5', '1,,2', '1-2-3', ' 1'])('refuse %j by pattern', (text) => {
    expect(new RegExp(RANGES_PATTERN).test(text)).toBe(false);
  });
});
