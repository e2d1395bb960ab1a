import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { kubeConfig } from './kube.js';

export interface Change<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
  /** performance.now() when the change arrived. */
  at: number;
}

/**
 * Every change the API server reports on one kind of object (a watch of `path`, cluster-wide or
 * of a namespace) from the moment `start` resolves, each with the time it arrived: the test's
 * own record of what happened, to hold a measurement against. A watch the server or the client
 * ends (client-node gives up on a connection quiet for 30 s) starts again from the last
 * resourceVersion seen, bookmarks keeping it fresh; `broken` tells when it could not.
 */
export class Recorder<T extends KubernetesObject> {
  readonly changes: Change<T>[] = [];
  /** Why the record may have gaps (the watch failed in a way it cannot resume from). */
  broken: unknown;
  private resourceVersion: string | undefined;
  private request: AbortController | undefined;
  private stopped = false;

  private constructor(
    private readonly path: string,
    private readonly keep: (o: T) => boolean,
  ) {}

  static async start<T extends KubernetesObject>(
    path: string,
    keep: (o: T) => boolean = () => true,
  ): Promise<Recorder<T>> {
    const r = new Recorder<T>(path, keep);
    await r.watch();
    return r;
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }

  private async watch(): Promise<void> {
    this.request = await new Watch(kubeConfig()).watch(
      this.path,
      {
        allowWatchBookmarks: true,
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      },
      (type: string, object: T) => {
        this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
        if ((type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') && this.keep(object)) {
          this.changes.push({ type, object, at: performance.now() });
        }
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
