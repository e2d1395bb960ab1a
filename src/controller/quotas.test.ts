import { describe, expect, it } from 'vitest';
import type { V1ResourceQuota } from '@kubernetes/client-node';
import { quotaUses } from './quotas.js';

const quota = (hard: Record<string, string>, used: Record<string, string> = {}): V1ResourceQuota => ({
  metadata: { name: 'q' },
  status: { hard, used },
});

describe('quotaUses', () => {
  it.each([
    {
      name: 'a quota on Blocks counts',
      q: quota({ 'count/blocks.teamtask.dev': '3' }, { 'count/blocks.teamtask.dev': '2' }),
      want: [{ quota: 'q', resource: 'count/blocks.teamtask.dev', hard: 3, used: 2 }],
    },
    {
      name: 'a quota on pods counts, in either spelling',
      q: quota({ pods: '5', 'count/pods': '6' }),
      want: [
        { quota: 'q', resource: 'pods', hard: 5, used: 0 },
        { quota: 'q', resource: 'count/pods', hard: 6, used: 0 },
      ],
    },
    { name: 'a quota on anything else does not', q: quota({ 'requests.cpu': '4' }), want: [] },
    { name: 'a quota not yet counted (no status) does not', q: { metadata: { name: 'q' } }, want: [] },
  ])('$name', ({ q, want }) => {
    expect(quotaUses([q])).toEqual(want);
  });
});
