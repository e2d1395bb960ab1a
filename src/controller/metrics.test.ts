import { describe, expect, it } from 'vitest';
import { Metrics, sample } from './metrics.js';

describe('Metrics', () => {
  it('renders counters, gauges and the reconcile histogram as Prometheus text', () => {
    const m = new Metrics(() => ({ queueDepth: 3, worklists: 2, leader: true }));
    m.inc('staleReports');
    m.inc('completedItems', 100);
    m.reconcileDuration.observe(0.02);
    m.reconcileDuration.observe(3);
    const text = m.render();
    expect(sample(text, 'teamtask_controller_stale_reports_total')).toBe(1);
    expect(sample(text, 'teamtask_controller_completed_items_total')).toBe(100);
    expect(sample(text, 'teamtask_controller_queue_depth')).toBe(3);
    expect(sample(text, 'teamtask_controller_leader')).toBe(1);
    expect(text).toContain('teamtask_controller_reconcile_duration_seconds_bucket{le="0.01"} 0');
    expect(text).toContain('teamtask_controller_reconcile_duration_seconds_bucket{le="0.025"} 1');
    expect(text).toContain('teamtask_controller_reconcile_duration_seconds_bucket{le="+Inf"} 2');
    expect(sample(text, 'teamtask_controller_reconcile_duration_seconds_sum')).toBe(3.02);
    expect(text).toContain('# TYPE teamtask_controller_conflicts_total counter');
  });
});
