import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ApiException,
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { explain } from '../kube/errors.js';

/** What matters of a Lease to decide who holds it. */
export interface LeaseView {
  holder?: string;
  /** Epoch ms of the holder's last renewal. */
  renewTime?: number;
  durationMs: number;
}

/** Pure: may `me` take or keep the lease at `now`? Free, mine, or its holder stopped renewing. */
export function mayHold(lease: LeaseView | undefined, me: string, now: number): boolean {
  if (!lease?.holder || lease.holder === me) return true;
  return (lease.renewTime ?? 0) + lease.durationMs <= now;
}

/** The Lease calls the elector makes (CoordinationV1Api's). */
export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'replaceNamespacedLease' | 'createNamespacedLease'
>;

export interface ElectorOptions {
  namespace: string;
  name: string;
  leaseMs?: number;
  renewEveryMs?: number;
  identity?: string;
  now?: () => number;
  log?: (line: string) => void;
  /** The API to use instead of one made from the kubeconfig (tests). */
  api?: LeaseApi;
}

/**
 * Leader election on a coordination.k8s.io Lease, written with its resourceVersion so two
 * candidates never both win. isLeader() is the fencing check: true only while this process's
 * last successful renewal is recent enough that no other candidate can have taken over.
 */
export class LeaderElector {
  readonly identity: string;
  private heldUntil = 0;
  /** Set for good once this process stops leading or candidating: no late renewal counts after. */
  private done = false;
  private renewals?: NodeJS.Timeout;
  private readonly api: LeaseApi;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    kc: KubeConfig,
    private readonly o: ElectorOptions,
  ) {
    this.api = o.api ?? kc.makeApiClient(CoordinationV1Api);
    this.identity = o.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 15_000;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
  }

  isLeader(): boolean {
    return !this.done && this.now() < this.heldUntil;
  }

  /** Whether the last try to take or renew the Lease got an answer from the API server. */
  reachesServer = false;

  /**
   * Resolves once this process leads; keeps renewing until `signal` aborts, then releases. Once
   * the Lease is lost, `onLost` is called and this elector is done: it never leads again (a
   * renewal still in flight then, answered late, counts for nothing), as client-go's elector,
   * whose process exits and restarts as a new candidate.
   */
  async acquire(signal: AbortSignal, onLost: () => void): Promise<void> {
    const every = this.o.renewEveryMs ?? Math.max(500, Math.floor(this.leaseMs / 5));
    let leading = false;
    const lose = () => {
      this.done = true;
      clearInterval(this.renewals);
      onLost();
    };
    const tick = async () => {
      if (this.done) return false;
      // Past the renew deadline (renewals hang, or this process was starved): lost, whatever
      // the calls still in flight say later.
      if (leading && !this.isLeader()) {
        lose();
        return false;
      }
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.reachesServer = false;
        // explain() names the cause of a failed fetch (ENETUNREACH, a TLS error), not just "fetch failed".
        this.log(`lease ${this.o.namespace}/${this.o.name}: ${explain(err).message}`);
        return false;
      });
      if (this.done || signal.aborted) return false;
      if (ok && !leading) {
        leading = true;
        this.log(`became the leader (lease ${this.o.namespace}/${this.o.name}, identity ${this.identity})`);
      }
      if (!ok && leading && !this.isLeader()) lose();
      return ok;
    };
    while (!signal.aborted && !(await tick())) await sleep(every, signal);
    if (signal.aborted) return void (await this.release());
    this.renewals = setInterval(() => void tick(), every);
    signal.addEventListener('abort', () => {
      clearInterval(this.renewals);
      void this.release();
    });
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const { namespace, name } = this.o;
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    const view = lease && {
      holder: lease.spec?.holderIdentity,
      renewTime: lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : undefined,
      durationMs: (lease.spec?.leaseDurationSeconds ?? 15) * 1000,
    };
    this.reachesServer = true;
    if (!mayHold(view, this.identity, now)) return false;
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      renewTime: new V1MicroTime(now),
      acquireTime: view?.holder === this.identity ? lease!.spec!.acquireTime : new V1MicroTime(now),
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (view?.holder === this.identity ? 0 : 1),
    };
    try {
      if (lease) await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
      else await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
    } catch (err) {
      if (err instanceof ApiException && (err.code === 409 || err.code === 422)) return false; // another candidate won
      throw err;
    }
    if (this.done) return false;
    // Others may take over leaseMs after this renewal: stop writing well before.
    this.heldUntil = now + (this.leaseMs * 2) / 3;
    return true;
  }

  /** Gives the lease up at once, so a successor need not wait for it to expire. */
  private async release(): Promise<void> {
    this.heldUntil = 0;
    this.done = true;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      await this.api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
      });
    } catch {
      // Best effort: otherwise the lease simply expires.
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
