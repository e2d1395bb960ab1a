import { createHash } from 'node:crypto';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
  type V1UserInfo,
} from '@kubernetes/client-node';
import { BLOCK_PLURAL, GROUP, WORKLIST_PLURAL } from '../api/v1alpha1/index.js';
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
 * through the gateway: read the Worklist (`get worklists/NAME`), or work on it as its workers'
 * Role lets them (`create blocks` in its namespace).
 */
export function attributesFor(target: Target, needs: TokenRole): V1ResourceAttributes {
  return needs === 'read'
    ? {
        namespace: target.namespace,
        verb: 'get',
        group: GROUP,
        resource: WORKLIST_PLURAL,
        name: target.worklist,
      }
    : { namespace: target.namespace, verb: 'create', group: GROUP, resource: BLOCK_PLURAL };
}

/**
 * The name a Kubernetes identity's Blocks carry in their gateway label (a label value: no `:`),
 * from its user name: `k8s-` and 16 hex digits, the same for every token of the same user.
 */
export const kubeCallerName = (username: string): string =>
  `k8s-${createHash('sha256').update(username).digest('hex').slice(0, 16)}`;

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

  async may(user: V1UserInfo, target: Target, needs: TokenRole): Promise<boolean> {
    const attributes = attributesFor(target, needs);
    const key = JSON.stringify([user.username, user.uid, user.groups, attributes]);
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
