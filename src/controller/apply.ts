import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  BLOCK_FINALIZER,
  NO_RANGE_TOKEN,
  type Block,
  type BlockSpecReport,
  type BlockStatus,
  type Worklist,
  type WorklistStatus,
} from '../api/v1alpha1/index.js';
import {
  CONTROLLER_NAME,
  REPORTING_COMPONENT,
  SECONDARY_ANNOTATION,
  SECONDARY_ELSEWHERE_ANNOTATION,
  upstreamBlockName,
} from '../api/names.js';
import { explain, isApiError } from '../kube/errors.js';
import { TeamtaskClient, type ResourceClient } from '../kube/teamtask-client.js';
import { inBatches } from './batches.js';
import { statusPatch } from './block-status.js';
import type { WriteExpectations } from './expectations.js';
import type { Metrics } from './metrics.js';
import type { WorklistEvent } from './reconcile.js';
import { sameJson } from './same-json.js';

/** Block writes of one pass in flight at once (statuses, finalizers, deletions). */
const BLOCK_WRITES_AT_ONCE = 8;

export interface ApplyOptions {
  /** The fencing check before every write: false once this process may no longer be the leader. */
  mayWrite?: () => boolean;
  /** Who records Events (the pod or host name). */
  identity?: string;
  log: (line: string) => void;
  now: () => number;
}

/**
 * Writes a plan, one kind of write per method, in the order that keeps the ledger the truth:
 * the ledger first (under its resourceVersion precondition), then the Blocks' statuses,
 * finalizers, deletions and Events. Decides nothing: each method writes what it is given.
 */
export class Applier {
  private readonly client: TeamtaskClient;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly expectations: WriteExpectations,
    private readonly metrics: Metrics,
    private readonly o: ApplyOptions,
  ) {
    this.client = new TeamtaskClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /**
   * The mutex: a replace that carries the resourceVersion read, so a stale view fails with 409.
   * True when it wrote (nothing to write when the status is the same).
   */
  async writeLedger(key: string, worklist: Worklist, status: WorklistStatus): Promise<boolean> {
    if (sameJson(worklist.status, status)) return false;
    this.assertMayWrite();
    const written = await this.client
      .worklists(worklist.metadata.namespace!)
      .replaceStatus(worklist.metadata.name!, { ...worklist, status });
    this.expectations.wroteLedger(key, worklist.metadata.resourceVersion!, written);
    this.metrics.inc('ledgerWrites');
    return true;
  }

  /**
   * A secondary's side of its parent's protocol: makes its Block in the parent's namespace (as
   * a worker makes its own: our finalizer, owned by the parent Worklist), then writes the report
   * upward into its spec, as a worker's JSON patch does. `blocks` is the parent namespace's
   * client, in the parent's cluster. Returns the Block as last written.
   */
  async writeUpstream(
    secondary: Worklist,
    parent: Worklist,
    blocks: ResourceClient<Block>,
    plan: { create: boolean; report?: BlockSpecReport },
    elsewhere: boolean,
  ): Promise<Block | undefined> {
    const name = upstreamBlockName(secondary.metadata.namespace!, secondary.metadata.name!);
    const who = `${secondary.metadata.namespace}/${secondary.metadata.name}`;
    let written: Block | undefined;
    let report = plan.report;
    if (plan.create) {
      // A report on no range, the range size it asks for, is all a new Block may carry.
      const atCreation = report?.token === NO_RANGE_TOKEN ? report : undefined;
      this.assertMayWrite();
      try {
        written = await blocks.create({
          apiVersion: API_VERSION,
          kind: 'Block',
          metadata: {
            name,
            // In the parent's cluster, the parent's controller tells by it that the secondary
            // is gone. A secondary elsewhere is judged by its lease alone, as a worker
            // off-cluster: its annotation is for people.
            annotations: { [elsewhere ? SECONDARY_ELSEWHERE_ANNOTATION : SECONDARY_ANNOTATION]: who },
            finalizers: [BLOCK_FINALIZER],
            ownerReferences: [
              {
                apiVersion: API_VERSION,
                kind: 'Worklist',
                name: parent.metadata.name!,
                uid: parent.metadata.uid!,
              },
            ],
          },
          spec: {
            worklist: parent.metadata.name!,
            worker: `worklist ${who}${elsewhere ? ' (another cluster)' : ''}`,
            // It can give up the end of its range that it never handed out (upstream.ts).
            splittable: true,
            // Made with the range size it asks for: one write, not two.
            ...(atCreation ? { report: atCreation } : {}),
          },
        });
        this.metrics.inc('blockWrites');
      } catch (err) {
        // Made by an earlier pass the cache has not shown yet, or still there while deleted.
        if (!isApiError(err, 409)) throw err;
      }
      // Not written on a Block that was there already: it must not overwrite a report on a
      // range that the Block's deletion is waiting to fold.
      if (atCreation) report = undefined;
    }
    if (report) {
      this.assertMayWrite();
      written = await ignoreNotFound(
        blocks.patch(name, [{ op: 'add', path: '/spec/report', value: report }]),
      );
      this.metrics.inc('blockWrites');
    }
    return written;
  }

  /**
   * Each Block's status is its own object: written side by side, so the last of many Blocks
   * served in one pass does not wait for all the others' round trips. A Block gone meanwhile is
   * skipped.
   */
  async writeBlockStatuses(
    namespace: string,
    blocks: readonly Block[],
    statuses: ReadonlyMap<string, BlockStatus>,
  ): Promise<void> {
    const byName = new Map(blocks.map((b) => [b.metadata.name!, b]));
    await inBatches([...statuses], BLOCK_WRITES_AT_ONCE, async ([name, status]) => {
      const block = byName.get(name)!;
      if (this.expectations.alreadyWritten(block, status)) return;
      this.assertMayWrite();
      const written = await ignoreNotFound(
        this.client.blocks(namespace).mergeStatus(name, { status: statusPatch(status) }),
      );
      if (written) this.expectations.wroteBlockStatus(block, status);
      this.metrics.inc('blockWrites');
    });
  }

  /**
   * Removes our finalizer from each Block, only if it is still the one whose last report was
   * folded: a JSON patch that tests its resourceVersion (a report that landed since would
   * otherwise be lost with the Block). False when one changed: look again.
   */
  async removeFinalizers(blocks: readonly Block[], names: readonly string[]): Promise<boolean> {
    let unchanged = true;
    const byName = new Map(blocks.map((b) => [b.metadata.name!, b]));
    // Several at once: when a Worklist ends, all its workers' Blocks go together (400 one by one
    // kept a crowd's last workers waiting 16 s for their Blocks to go).
    await inBatches(names, BLOCK_WRITES_AT_ONCE, async (name) => {
      const b = byName.get(name)!;
      const finalizers = b.metadata.finalizers ?? [];
      if (!finalizers.includes(BLOCK_FINALIZER)) return;
      this.assertMayWrite();
      try {
        await this.client.blocks(b.metadata.namespace!).patch(name, [
          { op: 'test', path: '/metadata/resourceVersion', value: b.metadata.resourceVersion },
          {
            op: 'replace',
            path: '/metadata/finalizers',
            value: finalizers.filter((f) => f !== BLOCK_FINALIZER),
          },
        ]);
      } catch (err) {
        if (isApiError(err, 404)) return;
        // A failed test op: 422 Unprocessable (409 when the server reads it as a conflict).
        if (isApiError(err, 422) || isApiError(err, 409)) unchanged = false;
        else throw err;
      }
    });
    return unchanged;
  }

  async deleteBlocks(namespace: string, names: readonly string[]): Promise<void> {
    await inBatches(names, BLOCK_WRITES_AT_ONCE, async (name) => {
      this.assertMayWrite();
      await ignoreNotFound(this.client.blocks(namespace).delete(name));
    });
  }

  /** Events on the Worklist, as kubectl describe shows them. Best effort: a lost Event loses no work. */
  async recordEvents(w: Worklist, events: readonly WorklistEvent[]): Promise<void> {
    for (const e of events) {
      this.assertMayWrite();
      const now = new Date(this.o.now());
      try {
        await this.core.createNamespacedEvent({
          namespace: w.metadata.namespace!,
          body: {
            metadata: { generateName: `${w.metadata.name}.`, namespace: w.metadata.namespace },
            involvedObject: {
              apiVersion: API_VERSION,
              kind: 'Worklist',
              name: w.metadata.name,
              namespace: w.metadata.namespace,
              uid: w.metadata.uid,
              resourceVersion: w.metadata.resourceVersion,
            },
            type: e.type,
            reason: e.reason,
            message: e.message,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
            source: { component: CONTROLLER_NAME, host: this.o.identity },
            reportingComponent: REPORTING_COMPONENT,
            reportingInstance: this.o.identity ?? '',
          },
        });
        this.metrics.inc('events');
      } catch (err) {
        this.o.log(
          `could not record Event ${e.reason} on ${w.metadata.namespace}/${w.metadata.name}: ${explain(err).message}`,
        );
      }
    }
  }

  private assertMayWrite(): void {
    if (this.o.mayWrite && !this.o.mayWrite()) throw new NotLeader();
  }
}

/** This process may no longer write: another replica holds the Lease. */
export class NotLeader extends Error {
  constructor() {
    super('not the leader any more: not writing');
  }
}

/** The call's result, or undefined when the object is gone (404). */
async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (!isApiError(err, 404)) throw err;
    return undefined;
  }
}
