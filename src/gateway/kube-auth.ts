import { createHash } from 'node:crypto';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
  type V1UserInfo,
} from '@kubernetes/client-node';
import { BLOCK_PLURAL, GROUP, WORKLIST_PLURAL } from '../api/v1alpha1/index.js';
import {
  KUBE_CALLER_PREFIX,
  READER_ACCOUNT_PREFIX,
  SECONDARY_ACCOUNT_PREFIX,
  WORKER_ACCOUNT_PREFIX,
} from '../api/names.js';
import type { TokenRole } from '../api/gateway.js';
import type { Target } from './routes.js';

/** How long an answer of the API server about a token or a permission is reused. */
export const KUBE_AUTH_CACHE_MS = 10_000;
/** The most answers kept (a flood of made-up tokens must not grow the gateway without bound). */
const MAX_CACHED = 10_000;

/** What the API server's TokenReview and SubjectAccessReview answer: who, and may they. */
export interface KubeReviews {
  /** The token's user, or undefined when the API server does not accept it. */
  review(token: string): Promise<V1UserInfo | undefined>;
  allowed(user: V1UserInfo, attributes: V1ResourceAttributes): Promise<boolean>;
}

export const kubeReviews = (kc: KubeConfig): KubeReviews => {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async review(token) {
      const r = await authn.createTokenReview({ body: { spec: { token } } });
      return r.status?.authenticated ? r.status.user : undefined;
    },
    async allowed(user, resourceAttributes) {
      const r = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra,
            resourceAttributes,
          },
        },
      });
      return r.status?.allowed === true;
    },
  };
};

/**
 * What a Kubernetes identity must be allowed, by the cluster's own RBAC, to do a route's work
 * through the gateway: read the Worklist (`get worklists/NAME`), and to work on it, also what
 * its workers' Role lets them (`create blocks` in its namespace). The first check is what keeps
 * a worker Role's namespace-wide `create blocks` to its own Worklist: that Role may get its
 * Worklist only, by name.
 */
export function attributesFor(target: Target, needs: TokenRole): V1ResourceAttributes[] {
  const read: V1ResourceAttributes = {
    namespace: target.namespace,
    verb: 'get',
    group: GROUP,
    resource: WORKLIST_PLURAL,
    name: target.worklist,
  };
  return needs === 'read'
    ? [read]
    : [read, { namespace: target.namespace, verb: 'create', group: GROUP, resource: BLOCK_PLURAL }];
}

/** May the identity read ConfigMap `name` of the route's namespace (a ConfigMap source's items)? */
export const configMapAttributes = (target: Target, name: string): V1ResourceAttributes => ({
  namespace: target.namespace,
  verb: 'get',
  resource: 'configmaps',
  name,
});

/**
 * Why the admission policies (manifests/admission-policy.yaml) would refuse this identity's
 * work on the route's Worklist, if they would; the gateway writes with its own ServiceAccount,
 * so it applies them itself. A Worklist's workers (ServiceAccount `teamtask-worker-X`) work on
 * Worklist X only; a secondary's identity (`teamtask-secondary-…`) and a reader's
 * (`teamtask-reader-…`) work on nothing through the gateway.
 */
export function policyRefusal(username: string, target: Target, needs: TokenRole): string | undefined {
  const m = /^system:serviceaccount:[^:]+:(.+)$/.exec(username);
  if (!m || needs === 'read') return undefined;
  const account = m[1]!;
  const worklist = account.startsWith(WORKER_ACCOUNT_PREFIX)
    ? account.slice(WORKER_ACCOUNT_PREFIX.length)
    : undefined;
  if (worklist !== undefined && worklist !== target.worklist)
    return `a worker of Worklist ${worklist} may only work on that Worklist, not on ${target.worklist}`;
  if (account.startsWith(SECONDARY_ACCOUNT_PREFIX) || account.startsWith(READER_ACCOUNT_PREFIX))
    return `${username} is a secondary Worklist's identity: it works on its parent directly, not through the gateway`;
  return undefined;
}

/**
 * The name a Kubernetes identity's Blocks carry in their gateway label (a label value: no `:`):
 * `k8s-` and 16 hex digits of its user name and, for a pod-bound token, its pod's name, so that
 * the pods of one Job (one ServiceAccount) never share a Block, as the admission policy has it.
 */
export const kubeCallerName = (user: V1UserInfo): string => {
  const pod = user.extra?.[POD_NAME_EXTRA]?.[0];
  const who = pod ? `${user.username}\u0000${pod}` : (user.username ?? '');
  return `${KUBE_CALLER_PREFIX}${createHash('sha256').update(who).digest('hex').slice(0, 16)}`;
};

/** The extra a pod-bound ServiceAccount token carries: its pod's name. */
const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';

/**
 * Kubernetes bearer tokens (ServiceAccount, OIDC) checked as the API server would: a
 * TokenReview for who it is, a SubjectAccessReview for what it may do, like Argo Server's client
 * mode. Answers are reused for KUBE_AUTH_CACHE_MS (a revoked ServiceAccount token is refused
 * within that), keyed by the token's hash, never the token.
 */
export class KubeAuth {
  private readonly users = new Map<string, { at: number; user?: V1UserInfo }>();
  private readonly permissions = new Map<string, { at: number; allowed: boolean }>();

  constructor(
    private readonly reviews: KubeReviews,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token's user; `beforeReview` runs (and may throw) only when the API server must be asked. */
  async user(token: string, beforeReview: () => void = () => {}): Promise<V1UserInfo | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.fresh(this.users, key);
    if (hit) return hit.user;
    beforeReview();
    const user = await this.reviews.review(token);
    remember(this.users, key, { at: this.now(), user });
    return user;
  }

  /** The first of `attributes` the identity may not do (SubjectAccessReview), if any. */
  async refused(
    user: V1UserInfo,
    attributes: readonly V1ResourceAttributes[],
  ): Promise<V1ResourceAttributes | undefined> {
    for (const a of attributes) if (!(await this.may(user, a))) return a;
    return undefined;
  }

  async may(user: V1UserInfo, attributes: V1ResourceAttributes): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, attributes]);
    const hit = this.fresh(this.permissions, key);
    if (hit) return hit.allowed;
    const allowed = await this.reviews.allowed(user, attributes);
    remember(this.permissions, key, { at: this.now(), allowed });
    return allowed;
  }

  private fresh<T extends { at: number }>(cache: Map<string, T>, key: string): T | undefined {
    const hit = cache.get(key);
    return hit && this.now() - hit.at < KUBE_AUTH_CACHE_MS ? hit : undefined;
  }
}

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  // Past the bound, start over: a cache, not a record; the oldest answers go first.
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
}
