import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type Worklist,
} from '../api/v1alpha1/index.js';
import { HintedError, isApiError } from './errors.js';

/** A JSON patch (RFC 6902): for changes that must replace a whole field, or test before they write. */
export type JsonPatch = { op: 'add' | 'replace' | 'remove' | 'test'; path: string; value?: unknown }[];

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/**
 * One kind's calls, typed: what sample-controller's generated clientset gives per resource
 * (`client.worklists(ns).get(name)`), over client-node's untyped CustomObjectsApi.
 */
export class ResourceClient<T> {
  private readonly base: { group: string; version: string; plural: string };

  constructor(
    private readonly custom: CustomObjectsApi,
    plural: string,
    private readonly namespace: string,
  ) {
    this.base = { group: GROUP, version: VERSION, plural };
  }

  private get at() {
    return { ...this.base, namespace: this.namespace };
  }

  async get(name: string): Promise<T> {
    return (await this.custom.getNamespacedCustomObject({ ...this.at, name })) as T;
  }

  async list(options: ListOptions = {}): Promise<T[]> {
    return ((await this.custom.listNamespacedCustomObject({ ...this.at, ...options })) as { items: T[] })
      .items;
  }

  async create(body: T, options: { dryRun?: boolean } = {}): Promise<T> {
    return (await this.custom.createNamespacedCustomObject({
      ...this.at,
      body: body as object,
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    })) as T;
  }

  /** A JSON merge patch (RFC 7386) of the object. */
  async merge(name: string, body: unknown): Promise<T> {
    return (await this.custom.patchNamespacedCustomObject(
      { ...this.at, name, body: body as object },
      mergePatch,
    )) as T;
  }

  /** A JSON patch (RFC 6902) of the object. */
  async patch(name: string, ops: JsonPatch): Promise<T> {
    return (await this.custom.patchNamespacedCustomObject({ ...this.at, name, body: ops }, jsonPatch)) as T;
  }

  /** A JSON merge patch of the status subresource. */
  async mergeStatus(name: string, body: unknown): Promise<T> {
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { ...this.at, name, body: body as object },
      mergePatch,
    )) as T;
  }

  /** Replaces the status subresource; the body's resourceVersion is the precondition (409 when stale). */
  async replaceStatus(name: string, body: T): Promise<T> {
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.at,
      name,
      body: body as object,
    })) as T;
  }

  /** Deletes the object; `Foreground` keeps it (and its name) until the objects it owns are gone. */
  async delete(
    name: string,
    options: { propagationPolicy?: 'Foreground' | 'Background' } = {},
  ): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...this.at, name, ...options });
  }
}

/** The typed client for Teamtask's kinds, used by every command, the worker and the controller. */
export class TeamtaskClient {
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  worklists(namespace: string): ResourceClient<Worklist> {
    return new ResourceClient<Worklist>(this.custom, WORKLIST_PLURAL, namespace);
  }

  blocks(namespace: string): ResourceClient<Block> {
    return new ResourceClient<Block>(this.custom, BLOCK_PLURAL, namespace);
  }

  /** Every object of a kind, in one namespace or (namespace undefined) in all, with the list's resourceVersion. */
  async listAll<K extends 'worklists' | 'blocks'>(
    plural: K,
    namespace?: string,
    options: ListOptions = {},
  ): Promise<{
    items: (K extends 'worklists' ? Worklist : Block)[];
    metadata?: { resourceVersion?: string };
  }> {
    const base = { group: GROUP, version: VERSION, plural, ...options };
    return (await (namespace
      ? this.custom.listNamespacedCustomObject({ ...base, namespace })
      : this.custom.listClusterCustomObject(base))) as never;
  }
}

/** The API path of a kind's collection, as a watch needs it. */
export const collectionPath = (plural: string, namespace?: string) =>
  `/apis/${GROUP}/${VERSION}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;

/** A 404 for a Worklist as one line and a hint; any other error as it is. */
export function worklistNotFound(err: unknown, namespace: string, name: string): unknown {
  if (isApiError(err, 404)) {
    return new HintedError(
      `worklist "${name}" not found in namespace ${namespace}`,
      'check the name (kubectl get worklists) and -n',
    );
  }
  return err;
}
