import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  freshNamespace,
  kubeConfig,
  kubeconfigFor,
  kubectl,
  kubectlStdin,
  teamtask,
  testEnv,
} from '../support/kube.js';
import { blockYaml, range, worklistYaml } from '../support/objects.js';
import { patchBlock } from '../support/write.js';
import { apiserverRequests, readBlock, readWorklist } from '../support/read.js';
import { Background, startController, withoutInClusterController } from '../support/processes.js';

// The commands a kubectl user reaches for, against the real API server: get (the same text as
// kubectl get), describe, status on a pipe and in a real terminal (tmux), and the error contract.

const dir = mkdtempSync(join(tmpdir(), 'teamtask-cli-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

/** AGE cells differ by the second between two runs: compare everything else. */
const withoutAge = (text: string) => text.replace(/\b\d+(s|m\d*s?|h\d*m?|d\d*h?)\b/g, 'AGE');

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-cli');
  controller = startController();
  const apply = kubectlStdin(
    [
      worklistYaml('shown', { source: range(1, 40), blockSize: 10, leaseSeconds: 3600 }),
      worklistYaml('other', { source: { inline: ['a', 'y'] }, blockSize: 1, suspend: true }),
      blockYaml('b1', 'shown'),
      blockYaml('b2', 'shown'),
      blockYaml('o1', 'other'),
    ].join('---\n'),
    'apply',
    '-n',
    ns.name,
  );
  expect(apply.stderr).toBe('');
  await eventually('both Blocks of shown to hold a range', async () =>
    (await readBlock(ns.name, 'b1')).status?.phase === 'Ready' &&
    (await readBlock(ns.name, 'b2')).status?.phase === 'Ready'
      ? true
      : undefined,
  );
  // `other` is suspended: its ledger is written, then its Block's status (Pending, saying why).
  await eventually('the suspended Worklist and its Block to have a status', async () =>
    (await readWorklist(ns.name, 'other')).status?.conditions?.length &&
    (await readBlock(ns.name, 'o1')).status?.phase === 'Pending'
      ? true
      : undefined,
  );
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

describe('kubectl teamtask get', () => {
  it.each([
    ['get', 'lists'],
    ['get', 'worklists', '-o', 'wide'],
    ['get', 'blocks'],
    ['get', 'blocks', '-o', 'wide', '--no-headers'],
    ['get', 'wl', 'shown'],
  ])('%s %s %s %s %s prints what kubectl get prints', (...args) => {
    const ours = teamtask(...args, '-n', ns.name);
    const theirs = kubectl(
      ...args.map((a) => (a === 'lists' || a === 'wl' ? 'worklists' : a)),
      '-n',
      ns.name,
    );
    expect(ours.stderr).toBe('');
    expect(withoutAge(ours.stdout)).toBe(withoutAge(theirs.stdout));
  });

  it('selects the Blocks of one Worklist, in every namespace with a NAMESPACE column', () => {
    const res = teamtask('get', 'blocks', '--list', 'other', '-A', '--no-headers');
    expect(res.stdout.trim().split(/\s+/).slice(0, 2)).toEqual([ns.name, 'o1']);
  });

  it('prints -o name, json and jsonpath like kubectl', () => {
    expect(teamtask('get', 'lists', '-n', ns.name, '-o', 'name').stdout).toBe(
      'worklist.teamtask.dev/other\nworklist.teamtask.dev/shown\n',
    );
    const list = JSON.parse(teamtask('get', 'blocks', '-n', ns.name, '-o', 'json').stdout) as {
      kind: string;
      items: { metadata: { name: string } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((b) => b.metadata.name)).toEqual(['b1', 'b2', 'o1']);
    expect(
      teamtask('get', 'wl', 'other', '-n', ns.name, '-o', 'jsonpath={.spec.source.inline[*]}').stdout,
    ).toBe('a y');
  });

  it('with -w, prints a row when a Block changes', async () => {
    const watch = new Background(['get', 'blocks', '-n', ns.name, '-w', '--list', 'shown']);
    try {
      await eventually('the first table', async () => (watch.stdout.includes('b2') ? true : undefined));
      const before = watch.stdout;
      const b1 = await readBlock(ns.name, 'b1');
      const end = Number(b1.status!.index) + 9;
      await patchBlock(ns.name, 'b1', {
        spec: { report: { token: b1.status!.token, done: `${b1.status!.index}-${end}`, complete: true } },
      });
      const rows = await eventually('a row for the change', async () => {
        const added = watch.stdout.slice(before.length).split('\n').filter(Boolean);
        // NAME READY STATUS RESTARTS INDEX SIZE: b1 holding a range other than the one it finished.
        const index = (r: string) => /^b1\s+1\/1\s+Ready\s+\d+\s+(\d+)\s/.exec(r)?.[1];
        return added.some((r) => index(r) !== undefined && index(r) !== String(b1.status!.index))
          ? added
          : undefined;
      });
      expect(rows.every((r) => !r.startsWith('NAME'))).toBe(true);

      // Quiet until client-node gives up on the silent connection (30 s without a byte): the
      // API server counts a watch when it ends, and this is the only namespaced watch of Blocks.
      // The command then watches again, from where it was.
      const watchesEnded = () => apiserverRequests({ verb: 'WATCH', resource: 'blocks', scope: 'namespace' });
      const ended = await watchesEnded();
      await eventually(
        'the first watch to end',
        async () => ((await watchesEnded()) > ended ? true : undefined),
        120_000,
        1000,
      );
      expect(watch.child.exitCode).toBeNull();
      const quiet = watch.stdout;
      await patchBlock(ns.name, 'b2', { metadata: { labels: { touched: 'yes' } } });
      await eventually('a row after the quiet spell', async () =>
        watch.stdout.slice(quiet.length).includes('b2') ? true : undefined,
      );
    } finally {
      await watch.stop();
    }
  }, 240_000);
});

describe('kubectl teamtask describe', () => {
  it('shows the ledger, the ranges out with their workers, and the conditions', () => {
    const res = teamtask('describe', 'list', 'shown', '-n', ns.name);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^Name:\s+shown$/m);
    expect(res.stdout).toMatch(/^Source:\s+range 1-40$/m);
    expect(res.stdout).toMatch(
      /^Assignments:\n\s+BLOCK\s+RANGE\s+ATTEMPT\s+REPORTED\s+LEASE\s+NEXT\s+WORKER$/m,
    );
    expect(res.stdout).toMatch(/^\s+b2\s+\d+-\d+\s+1\s+-\s+\S+ left\s+(-|\d+-\d+)\s+pod-0$/m);
    expect(res.stdout).toMatch(/^\s+Complete\s+False\s+InProgress\s+/m);
    expect(res.stdout).toMatch(/^Job:\s+<none> \(workers run elsewhere\)$/m);
  });
});

describe('kubectl teamtask status', () => {
  it('prints one parseable line on a pipe, and JSON with -o json', () => {
    const line = teamtask('status', 'shown', '-n', ns.name).stdout.trim();
    expect(line).toMatch(
      /^shown \d+\.\d% completed=\d+ failed=0 inflight=\d+ pending=\d+ total=40 rate=\S+ eta=\S+$/,
    );
    const p = JSON.parse(teamtask('status', 'other', '-n', ns.name, '-o', 'json').stdout) as Record<
      string,
      unknown
    >;
    expect(p).toMatchObject({
      name: 'other',
      total: 2,
      completed: 0,
      inFlight: 0,
      pending: 2,
      complete: false,
    });
  });

  it('redraws a progress bar in place in a terminal, up to 100%', async () => {
    const name = 'progress';
    expect(
      kubectlStdin(worklistYaml(name, { source: range(1, 24), blockSize: 4 }), 'create', '-n', ns.name)
        .status,
    ).toBe(0);
    const env = testEnv();
    const session = `teamtask-${ns.name}`;
    const command = `env KUBECONFIG=${env.KUBECONFIG} PATH=${env.PATH} kubectl teamtask status ${name} -n ${ns.name} -w --interval 300ms; sleep 60`;
    const tmux = (...args: string[]) =>
      spawnSync('tmux', args, { encoding: 'utf8', env: { ...env, TMUX: '' } });
    expect(tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', command).status).toBe(0);
    const worker = new Background(['work', name, '-n', ns.name, '--', 'sh', '-c', 'sleep 0.4', '{}']);
    const screens: string[] = [];
    try {
      await eventually(
        'the bar to reach 100%',
        async () => {
          const screen = tmux('capture-pane', '-p', '-t', session).stdout;
          screens.push(screen);
          return screen.includes('100.0%') ? true : undefined;
        },
        90_000,
      );
      expect(await worker.exited).toBe(0);
    } finally {
      tmux('kill-session', '-t', session);
      await worker.stop();
    }
    const bars = (screen: string) => screen.split('\n').filter((l) => /\[[█▒░]+\] \d+\.\d%/.test(l));
    // Drawn in place: never more than one bar on the screen, and it moved on the way.
    expect(screens.every((s) => bars(s).length <= 1)).toBe(true);
    const percents = new Set(screens.flatMap(bars).map((l) => /(\d+\.\d)%/.exec(l)![1]));
    expect(percents.size).toBeGreaterThan(2);
    const last = screens.at(-1)!;
    expect(last).toMatch(/24\/24 completed · 0 failed · 0 in flight · 0 pending/);
    expect(last).toContain('█'.repeat(24));
  });
});

describe('kubectl teamtask logs', () => {
  it("prints each worker pod's lines prefixed by its worker, one worker with --worker, and follows with -f", async () => {
    // Two items, one per worker pod; each prints a line and keeps running, so there is a log to follow.
    const created = teamtask(
      'create',
      'logged',
      '-n',
      ns.name,
      '--items',
      'a,b',
      '--block-size',
      '1',
      '--workers',
      '2',
      '--image',
      'debian:12-slim',
      '--',
      'sh',
      '-c',
      'echo "item $0"; exec sleep 600',
      '{}',
    );
    expect(created.stderr).toBe('');
    const itemLines = (out: string) => out.split('\n').filter((l) => / item [ab]$/.test(l));
    const all = await eventually(
      'both items printed',
      async () => {
        const res = teamtask('logs', 'logged', '-n', ns.name);
        return itemLines(res.stdout).length >= 2 ? res : undefined;
      },
      120_000,
      1000,
    );
    expect(all.stderr).toBe('');
    const lines = itemLines(all.stdout);
    expect(lines.map((l) => l.slice(0, 11))).toEqual(['[worker-0] ', '[worker-1] ']);
    expect(lines.map((l) => l.slice(11)).sort()).toEqual(['item a', 'item b']);
    const one = teamtask('logs', 'logged', '-n', ns.name, '--worker', '1');
    expect(itemLines(one.stdout)).toEqual([lines[1]]);
    expect(one.stdout).not.toContain('[worker-0]');
    expect(teamtask('logs', 'logged', '-n', ns.name, '--worker', '1', '--tail', '1').stdout).toMatch(
      /^\[worker-1\] [^\n]+\n$/,
    );
    const follow = new Background(['logs', 'logged', '-n', ns.name, '-f']);
    try {
      await eventually('the followed lines', async () =>
        itemLines(follow.stdout).length >= 2 ? true : undefined,
      );
      expect(itemLines(follow.stdout).sort()).toEqual([...lines].sort());
      expect(follow.child.exitCode).toBeNull(); // still following
    } finally {
      expect(await follow.stop()).toBe(0);
    }
  }, 240_000);

  it('says where the logs are when a Worklist has no worker pods', () => {
    const res = teamtask('logs', 'shown', '-n', ns.name);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /^error: worklist "shown" has no worker pods\nhint: workers made with --workers 0/,
    );
  });
});

describe('shell completion', () => {
  // kubectl runs bin/kubectl_complete-teamtask for `kubectl teamtask …` (as bash, zsh and fish
  // do through `kubectl __complete`).
  const candidates = (...words: string[]) =>
    kubectl('__complete', 'teamtask', ...words)
      .stdout.split('\n')
      .filter(Boolean);

  it("completes the plugin's commands, the resources and the Worklists of a namespace", () => {
    expect(candidates('st')).toEqual(['status', ':4']);
    expect(candidates('get', '')).toEqual(['lists', 'worklists', 'wl', 'blocks', ':4']);
    expect(candidates('status', '-n', ns.name, '')).toEqual(['logged', 'other', 'progress', 'shown', ':4']);
    expect(candidates('get', 'blocks', '-n', ns.name, 'b')).toEqual(['b1', 'b2', ':4']);
  });
});

describe('errors', () => {
  const unreachable = join(dir, 'unreachable.kubeconfig');
  writeFileSync(
    unreachable,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:65531"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
  );
  it.each([
    {
      name: 'an unknown Worklist',
      args: () => ['status', 'nope', '-n', ns.name],
      code: 1,
      stderr: /^error: worklist "nope" not found in namespace e2e-cli-\w+\nhint: check the name/,
    },
    {
      name: 'an unknown resource',
      args: () => ['get', 'pods'],
      code: 1,
      stderr: /^error: unknown resource "pods"\nhint: use worklists/,
    },
    {
      name: 'no cluster reachable',
      args: () => ['get', 'lists', '--kubeconfig', unreachable],
      code: 1,
      stderr:
        /^error: cannot reach the cluster at https:\/\/127\.0\.0\.1:65531 \(ECONNREFUSED\)\nhint: check --kubeconfig/,
    },
    {
      name: 'no permission',
      args: async () => {
        await kubeConfig()
          .makeApiClient(CoreV1Api)
          .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'nobody' } } });
        return ['get', 'lists', '-n', ns.name, '--kubeconfig', await kubeconfigFor(ns.name, 'nobody', dir)];
      },
      code: 1,
      stderr: /^error: forbidden: .*cannot list resource "worklists".*\nhint: ask a cluster admin for a Role/,
    },
    {
      name: 'a bad flag',
      args: () => ['get', 'lists', '--bogus'],
      code: 2,
      stderr: /Nonexistent flag: --bogus/,
    },
  ])('$name: one line, a hint, exit $code', async ({ args, code, stderr }) => {
    const res = teamtask(...(await args()));
    expect(res.status).toBe(code);
    expect(res.stderr).toMatch(stderr);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });
});
