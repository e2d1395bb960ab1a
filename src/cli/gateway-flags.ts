import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import type { GatewayTarget } from '../api/gateway.js';
import { HintedError } from '../kube/errors.js';

/** The flags of a command that may go through the gateway instead of a kubeconfig (docs/gateway.md). */
export const gatewayFlags = {
  server: Flags.string({
    description:
      'go through the gateway at this https:// address (kubectl teamtask serve) with --token, instead of a kubeconfig',
    helpGroup: 'GATEWAY',
  }),
  token: Flags.string({
    description:
      'the gateway token (kubectl teamtask token create), or a Kubernetes one; default $TEAMTASK_TOKEN',
    env: 'TEAMTASK_TOKEN',
    helpGroup: 'GATEWAY',
  }),
  'certificate-authority': Flags.string({
    description: "the gateway's CA certificate (PEM) to trust, e.g. the one serve wrote",
    helpGroup: 'GATEWAY',
  }),
  'insecure-skip-tls-verify': Flags.boolean({
    default: false,
    description: "do not check the gateway's certificate (its traffic can then be read and changed)",
    helpGroup: 'GATEWAY',
  }),
};

export interface GatewayFlagValues {
  server?: string;
  token?: string;
  'certificate-authority'?: string;
  'insecure-skip-tls-verify': boolean;
  kubeconfig?: string;
  context?: string;
}

/**
 * The gateway a command goes through, from its flags; undefined without --server. `usage`
 * refuses a command line that mixes the gateway's flags with a kubeconfig's.
 */
export function gatewayTarget(
  f: GatewayFlagValues,
  usage: (message: string) => never,
): GatewayTarget | undefined {
  if (!f.server) {
    if (f['certificate-authority'] || f['insecure-skip-tls-verify']) {
      usage('--certificate-authority and --insecure-skip-tls-verify go with --server');
    }
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(f.server);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:')
    usage(`--server "${f.server}" is not an https:// address: the gateway speaks only TLS`);
  if (f.kubeconfig || f.context)
    usage('--server works without a kubeconfig: drop --kubeconfig and --context');
  if (!f.token) usage('--server needs a token: --token TOKEN, or TEAMTASK_TOKEN in the environment');
  let ca: string | undefined;
  if (f['certificate-authority']) {
    try {
      ca = readFileSync(f['certificate-authority'], 'utf8');
    } catch (err) {
      throw new HintedError(
        `cannot read ${f['certificate-authority']}: ${(err as Error).message}`,
        "pass the PEM file the gateway's owner gave you",
      );
    }
  }
  return {
    server: f.server,
    token: f.token,
    ...(ca ? { certificateAuthority: ca } : {}),
    insecureSkipTlsVerify: f['insecure-skip-tls-verify'],
  };
}
