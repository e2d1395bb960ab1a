/**
 * The gateway's wire contract (docs/gateway.md), shared by the gateway (`kubectl teamtask
 * serve`) and its clients (`work --server`): paths, the bearer token's shape, and the limits a
 * client meets. The OpenAPI document (docs/gateway-openapi.json) describes the same.
 */

/** Every path of the API starts here. */
export const GATEWAY_API_PREFIX = '/v1';

/** Where a gateway is and how to trust it (a client's side: `work --server`, `status --server`). */
export interface GatewayTarget {
  /** https://host:port */
  server: string;
  token: string;
  /** The PEM of the CA (or the self-signed certificate) to trust; default: the system's CAs. */
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
}

/** The paths of one Worklist's resources. */
export const gatewayPaths = (namespace: string, worklist: string) => {
  const base = `${GATEWAY_API_PREFIX}/namespaces/${namespace}/worklists/${worklist}`;
  return {
    worklist: base,
    progress: `${base}/progress`,
    items: `${base}/items`,
    blocks: `${base}/blocks`,
    block: (block: string) => `${base}/blocks/${block}`,
    report: (block: string) => `${base}/blocks/${block}/report`,
    claim: `${base}/claim`,
    complete: `${base}/complete`,
  };
};

/** A token: `ttk_<name>_<secret>`; the name is the record's key, the secret is stored only hashed. */
export const TOKEN_PREFIX = 'ttk_';

/** What a token may do: `work` claims and reports (and reads), `read` reads a Worklist's status. */
export type TokenRole = 'work' | 'read';

/** The body of every error the gateway answers: one line, and what to do about it. */
export interface GatewayError {
  message: string;
  hint: string;
}

/** The longest a claim waits for a range before it answers "nothing yet" (a client may ask for less). */
export const MAX_WAIT_SECONDS = 30;

/** The largest request body the gateway reads: a report with MAX_REPORT_RANGES ranges fits many times. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A range handed to a caller by `claim`: the Block's, with the fencing token its reports carry. */
export interface ClaimedRange {
  block: string;
  token: number;
  index: number;
  size: number;
  attempt: number;
  /** The items at index … index+size-1, in order. */
  items: string[];
}

/**
 * `claim`'s answer: the caller's Block, and a range, none yet (ask again), or the Worklist is
 * finished (the caller deletes its Block and stops).
 */
export interface ClaimAnswer {
  block: string;
  finished: boolean;
  range?: ClaimedRange;
}
