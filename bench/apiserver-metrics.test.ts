import { describe, expect, it } from 'vitest';
import { requestCounts, teamtaskWrites } from './apiserver-metrics.js';

const page = (blocksPatch: number, conflicts: number) => `# HELP apiserver_request_total x
apiserver_request_total{code="200",component="apiserver",dry_run="",group="teamtask.dev",resource="blocks",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} ${blocksPatch}
apiserver_request_total{code="409",component="apiserver",dry_run="",group="teamtask.dev",resource="worklists",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} ${conflicts}
apiserver_request_total{code="200",component="apiserver",dry_run="",group="teamtask.dev",resource="blocks",scope="resource",subresource="",verb="GET",version="v1alpha1"} 999
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="PATCH",version="v1"} 5
`;

describe('kube-apiserver request counts', () => {
  it("counts the writes to Teamtask's resources between two samples, 409s apart", () => {
    const d = teamtaskWrites(requestCounts(page(10, 1)), requestCounts(page(25, 3)));
    expect(d).toEqual({
      writes: 17,
      conflicts: 2,
      byKind: { 'PATCH blocks/status': 15, 'PUT worklists/status': 2 },
    });
  });
});
