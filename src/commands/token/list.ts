import { CoreV1Api } from '@kubernetes/client-node';
import { SYSTEM_NAMESPACE } from '../../api/names.js';
import { BaseCommand } from '../../cli/base-command.js';
import { structuredOutputFlag } from '../../cli/flags.js';
import { TokenStore } from '../../gateway/token-store.js';
import type { TokenRecord } from '../../gateway/tokens.js';
import { alignRows } from '../../printers/table.js';

export default class TokenList extends BaseCommand<typeof TokenList> {
  static override summary =
    'List the gateway tokens: name, scope, role, expiry (never the tokens themselves).';
  static override examples = ['kubectl teamtask token list', 'kubectl teamtask token list -o json'];
  static override flags = { output: structuredOutputFlag() };

  public async run(): Promise<Omit<TokenRecord, 'sha256'>[]> {
    const records = await new TokenStore(this.kube.kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE).read();
    const now = Date.now();
    const shown = [...records.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(({ sha256: _hash, ...r }) => r);
    this.print(
      {
        data: shown,
        human: () =>
          shown.length === 0
            ? 'No tokens.'
            : alignRows([
                ['NAME', 'NAMESPACE', 'WORKLIST', 'ROLE', 'EXPIRES'],
                ...shown.map((r) => [
                  r.name,
                  r.namespace,
                  r.worklist ?? '*',
                  r.role,
                  Date.parse(r.expires) > now ? r.expires : `${r.expires} (expired)`,
                ]),
              ]),
      },
      this.flags.output,
    );
    return shown;
  }
}
