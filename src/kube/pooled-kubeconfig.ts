import { KubeConfig, type Cluster, type RequestContext, type User } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * A KubeConfig whose requests share one connection pool per cluster and TLS identity, as
 * client-go's transport cache does. client-node (2.0) gives every request a new undici Agent,
 * so a new TCP connection and TLS handshake each time: measured here, 200 sequential GETs took
 * 1.4 s and left 200 connections open, against 0.44 s and one connection with a kept pool. For a
 * worker polling its Block, or a controller writing hundreds of statuses a second, the
 * handshakes were most of what a request cost the API server.
 *
 * The pool is keyed on what the handshake presents (the server, its CA, the client
 * certificate): a kubeconfig switched to another context or user gets a pool of its own. A token
 * is a header, so it needs none. A user with an exec plugin (either form) is left as client-node
 * has it, a handshake per request: the plugin may hand out a new client certificate at any time.
 * Files (a CA, a client certificate) are read when a pool is made: a certificate file rotated
 * under a running process takes a restart (client-go would reload it).
 *
 * HTTP/1.1 only: on an HTTP/2 connection that dies silently (a partition, a frozen server), undici
 * aborts a request's stream but keeps the connection until its 60 s ping, so every request would
 * stall on it; on HTTP/1.1 an aborted request takes its socket with it, and an idle one is closed
 * after 4 s.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Dispatcher>();

  override createDispatcherOptions(...args: Parameters<KubeConfig['createDispatcherOptions']>) {
    const opts = super.createDispatcherOptions(...args);
    return opts.type === 'agent' ? { ...opts, connect: { ...opts.connect, allowH2: false } } : opts;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    await super.applySecurityAuthentication(context);
    const made = context.getDispatcher();
    if (!made || usesExec(user)) return;
    const key = tlsIdentity(cluster, user);
    const pool = this.pools.get(key);
    // The Agent just made has opened nothing yet: dropped, it costs nothing.
    if (pool) context.setDispatcher(pool);
    else this.pools.set(key, made);
  }
}

/** client-node's ExecAuth takes both the `exec` field and an `auth-provider` named or configured exec. */
const usesExec = (u: User | null) =>
  Boolean(u?.exec || u?.authProvider?.name === 'exec' || u?.authProvider?.config?.exec);

/** What a connection's handshake depends on, from the kubeconfig. */
const tlsIdentity = (c: Cluster | null, u: User | null) =>
  JSON.stringify([
    c?.server,
    c?.caData,
    c?.caFile,
    c?.skipTLSVerify,
    c?.tlsServerName,
    c?.proxyUrl,
    u?.certData,
    u?.certFile,
    u?.keyData,
    u?.keyFile,
  ]);
