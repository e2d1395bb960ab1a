import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../src/api/v1alpha1/index.js';

/** A list's resourceVersion now, for Teamtask objects of one namespace: a watch from it sees what happens from now on. */
export const listVersion =
  (kc: KubeConfig, namespace: string, plural: string) => async (): Promise<string> => {
    const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      limit: 1,
    })) as { metadata: { resourceVersion: string } };
    return list.metadata.resourceVersion;
  };

/** The path a watch of Teamtask objects of one namespace takes. */
export const watchPath = (namespace: string, plural: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`;

/**
 * A watch that goes on when the API server closes it (it ends every watch after a few minutes,
 * and a busy one may drop a slow reader sooner): started again from the last resourceVersion it
 * delivered, as an informer's reflector does, so no event in between is lost. `gaps` counts the
 * times it could not resume exactly (the resourceVersion too old, 410 Gone): it goes on from a
 * fresh list's resourceVersion, and the counts it fed are then a lower bound.
 */
export class ResumingWatch<T extends { metadata?: { resourceVersion?: string } }> {
  private resourceVersion?: string;
  private request?: { abort(): void };
  private stopped = false;
  gaps = 0;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly path: string,
    private readonly onEvent: (type: string, object: T) => void,
    /** The resourceVersion of a list of `path` now. */
    private readonly listVersion: () => Promise<string>,
  ) {}

  /** Starts watching `path` from now: what is there already is no event. */
  static async start<T extends { metadata?: { resourceVersion?: string } }>(
    kc: KubeConfig,
    path: string,
    listVersion: () => Promise<string>,
    onEvent: (type: string, object: T) => void,
  ): Promise<ResumingWatch<T>> {
    const w = new ResumingWatch<T>(kc, path, onEvent, listVersion);
    await w.open();
    return w;
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }

  private async open(): Promise<void> {
    this.resourceVersion ??= await this.listVersion();
    this.request = await new Watch(this.kc).watch(
      this.path,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type: string, object: T) => {
        if (type === 'ERROR') {
          // 410 Gone: what happened since that version is no longer kept. Go on from a new list.
          this.gaps++;
          this.resourceVersion = undefined;
          return;
        }
        const rv = object.metadata?.resourceVersion;
        if (type === 'BOOKMARK') {
          if (rv) this.resourceVersion = rv;
          return;
        }
        if (rv) this.resourceVersion = rv;
        this.onEvent(type, object);
      },
      () => {
        if (!this.stopped) void this.open().catch(() => this.gaps++);
      },
    );
  }
}
