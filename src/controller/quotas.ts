import type { V1ResourceQuota } from '@kubernetes/client-node';
import type { QuotaUse } from './reconcile.js';

/** ResourceQuota resources that can keep a worker from joining: its Block, or its pod. */
const QUOTA_RESOURCES = ['count/blocks.teamtask.dev', 'pods', 'count/pods'];

/** The parts of ResourceQuotas that can keep a worker out. */
export function quotaUses(quotas: readonly V1ResourceQuota[]): QuotaUse[] {
  return quotas.flatMap((q) =>
    QUOTA_RESOURCES.flatMap((resource) => {
      const hard = Number(q.status?.hard?.[resource]);
      const used = Number(q.status?.used?.[resource] ?? 0);
      return Number.isFinite(hard) ? [{ quota: q.metadata!.name!, resource, hard, used }] : [];
    }),
  );
}
