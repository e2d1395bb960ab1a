import { describe, expect, it } from 'vitest';
import { requestCounts, storageBytes, teamtaskWrites, writesBetween } from './apiserver-metrics.js';

const page = (blocksPatch: number, conflicts: number) => `# HELP apiserver_request_total x
apiserver_request_total{code="200",component="apiserver",dry_run="",group="teamtask.dev",resource="blocks",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} ${blocksPatch}
apiserver_request_total{code="409",component="apiserver",dry_run="",group="teamtask.dev",resource="worklists",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} ${conflicts}
apiserver_request_total{code="200",component="apiserver",dry_run="",group="teamtask.dev",resource="blocks",scope="resource",subresource="",verb="GET",version="v1alpha1"} 999
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="PATCH",version="v1"} 5
apiserver_request_total{code="429",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} ${conflicts}
apiserver_storage_size_bytes{storage_cluster_id="etcd-0"} 638976
`;

describe('kube-apiserver request counts', () => {
  it("counts the writes to Teamtask's resources between two samples, 409s apart", () => {
    const d = teamtaskWrites(requestCounts(page(10, 1)), requestCounts(page(25, 3)));
    expect(d).toEqual({
      writes: 17,
      conflicts: 2,
      throttled: 0,
      byKind: { 'PATCH blocks/status': 15, 'PUT worklists/status': 2 },
    });
  });

  it('counts the writes to every group when no group is given, 429s apart', () => {
    const d = writesBetween(requestCounts(page(10, 1)), requestCounts(page(25, 3)));
    expect(d).toMatchObject({ writes: 19, conflicts: 2, throttled: 2 });
    expect(d.byKind['POST pods']).toBe(2);
  });

  it('sums the lines of one verb, resource and code that differ in another label (dry run, scope)', () => {
    const lines = (real: number, dryRun: number, collection: number) => `
apiserver_request_total{code="201",dry_run="",group="teamtask.dev",resource="worklists",scope="resource",subresource="",verb="POST"} ${real}
apiserver_request_total{code="201",dry_run="All",group="teamtask.dev",resource="worklists",scope="resource",subresource="",verb="POST"} ${dryRun}
apiserver_request_total{code="201",dry_run="",group="teamtask.dev",resource="worklists",scope="namespace",subresource="",verb="POST"} ${collection}
`;
    const d = teamtaskWrites(requestCounts(lines(100, 3, 40)), requestCounts(lines(101, 3, 40)));
    expect(d).toEqual({ writes: 1, conflicts: 0, throttled: 0, byKind: { 'POST worklists': 1 } });
  });

  it("reads etcd's database size, and nothing when the metric is missing", () => {
    expect(storageBytes(page(1, 1))).toBe(638976);
    expect(storageBytes('# nothing\n')).toBeUndefined();
  });
});
