import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { kubeConfig } from './kube.js';

export interface Change<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
  /** performance.now() when the change arrived. */
  at: number;
}

/**
 * A watch of `path` (one kind of object, cluster-wide or of a namespace) that goes on whatever
 * ends its connection: client-node gives up on one quiet for 30 s, and the API server closes
 * one whose reader falls behind (a benchmark's own busy process). It starts again from the last
 * resourceVersion seen, as an informer's reflector does, bookmarks keeping it fresh, so no change
 * in between is lost; `broken` tells when it could not (an ERROR, such as 410 Gone).
 */
export class ResumingWatch<T extends KubernetesObject> {
  /** Why the changes heard may have gaps (the watch failed in a way it cannot resume from). */
  broken: unknown;
  private request: AbortController | undefined;
  private stopped = false;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly path: string,
    private readonly onChange: (type: Change<T>['type'], object: T) => void,
    private resourceVersion: string | undefined,
  ) {}

  /**
   * Starts watching; from `resourceVersion` when given (what was there before is no change),
   * else from now with what is there as ADDED.
   */
  static async start<T extends KubernetesObject>(
    path: string,
    onChange: (type: Change<T>['type'], object: T) => void,
    o: { kc?: KubeConfig; resourceVersion?: string } = {},
  ): Promise<ResumingWatch<T>> {
    const w = new ResumingWatch<T>(o.kc ?? kubeConfig(), path, onChange, o.resourceVersion);
    await w.watch();
    return w;
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }

  private async watch(): Promise<void> {
    this.request = await new Watch(this.kc).watch(
      this.path,
      {
        allowWatchBookmarks: true,
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      },
      (type: string, object: T) => {
        this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.onChange(type, object);
        if (type === 'ERROR') this.broken ??= object;
      },
      (err: unknown) => {
        if (this.stopped) return;
        const name = err instanceof Error ? err.name : '';
        if (err && name !== 'AbortError' && name !== 'TimeoutError') this.broken ??= err;
        if (!this.broken) this.watch().catch((e: unknown) => (this.broken ??= e));
      },
    );
  }
}

/**
 * Every change the API server reports on one kind of object from the moment `start` resolves,
 * each with the time it arrived: the test's own record of what happened, to hold a measurement
 * against.
 */
export class Recorder<T extends KubernetesObject> {
  readonly changes: Change<T>[] = [];
  private watch?: ResumingWatch<T>;

  /** Why the record may have gaps (the watch failed in a way it cannot resume from). */
  get broken(): unknown {
    return this.watch?.broken;
  }

  static async start<T extends KubernetesObject>(
    path: string,
    keep: (o: T) => boolean = () => true,
  ): Promise<Recorder<T>> {
    const r = new Recorder<T>();
    r.watch = await ResumingWatch.start<T>(path, (type, object) => {
      if (keep(object)) r.changes.push({ type, object, at: performance.now() });
    });
    return r;
  }

  stop(): void {
    this.watch?.stop();
  }
}
