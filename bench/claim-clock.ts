import type { Block } from '../src/api/v1alpha1/index.js';

/**
 * Claim latency as a watcher of Blocks sees it: from the moment a Block asks for a range (it
 * was created, or its worker reported its range complete) to the moment its status holds a new
 * one. Both ends are watch events received by the same process, so their lag cancels out.
 */
export class ClaimClock {
  /** Milliseconds from asking to getting, one per range handed out. */
  readonly samples: number[] = [];
  private readonly asking = new Map<string, number>();
  private readonly token = new Map<string, number>();

  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', block: Block, nowMs: number): void {
    const name = block.metadata.name!;
    const status = block.status;
    if (type === 'DELETED' || status?.phase === 'Drained' || status?.phase === 'Lost') {
      // Nothing more to hand out (or not to this worker): not a claim that waited.
      this.asking.delete(name);
      if (type === 'DELETED') this.token.delete(name);
      return;
    }
    if (status?.phase === 'Ready' && status.token !== undefined && status.token !== this.token.get(name)) {
      this.token.set(name, status.token);
      const since = this.asking.get(name);
      if (since !== undefined) this.samples.push(nowMs - since);
      this.asking.delete(name);
      return;
    }
    if (this.asking.has(name)) return;
    const report = block.spec.report;
    const current = this.token.get(name);
    const asks = current === undefined || (report?.token === current && report.complete === true);
    if (asks) this.asking.set(name, nowMs);
  }
}

/** The p-th percentile (0–100) by nearest rank; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
