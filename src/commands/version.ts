import { Flags } from '@oclif/core';
import { VersionApi, type VersionInfo } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { structuredOutputFlag } from '../cli/flags.js';

export interface VersionResult {
  clientVersion: { gitVersion: string; nodeVersion: string };
  serverVersion?: VersionInfo;
}

export default class Version extends BaseCommand<typeof Version> {
  static override summary = 'Print the client version, and the server version of the cluster.';
  static override description =
    'Like `kubectl version`: the server part needs a reachable cluster; --client prints only the client.';
  static override examples = ['kubectl teamtask version', 'kubectl teamtask version --client -o json'];
  static override flags = {
    client: Flags.boolean({ description: 'print only the client version; do not contact the cluster' }),
    output: structuredOutputFlag(),
  };

  public async run(): Promise<VersionResult> {
    const result: VersionResult = {
      clientVersion: { gitVersion: `v${this.config.version}`, nodeVersion: process.version },
    };
    if (!this.flags.client) {
      try {
        result.serverVersion = await this.kube.kc.makeApiClient(VersionApi).getCode();
      } catch (err) {
        // kubectl prints what it knows before failing on the server.
        this.log(`Client Version: ${result.clientVersion.gitVersion}`);
        throw err;
      }
    }
    this.print(
      {
        data: result,
        human: () =>
          [
            `Client Version: ${result.clientVersion.gitVersion}`,
            ...(result.serverVersion ? [`Server Version: ${result.serverVersion.gitVersion}`] : []),
          ].join('\n'),
      },
      this.flags.output,
    );
    return result;
  }
}
