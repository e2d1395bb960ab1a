import { describe, expect, it } from 'vitest';
import { runBlock, runItem, type RunOptions } from './run.js';

const options = (over: Partial<RunOptions> = {}): RunOptions => ({
  stopping: () => false,
  kill: new AbortController().signal,
  log: () => {},
  ...over,
});

describe('running the command', () => {
  it.each([
    { name: 'exit 0 is done', script: 'exit 0', stopping: false, outcome: 'done' },
    { name: 'non-zero is failed', script: 'exit 3', stopping: false, outcome: 'failed' },
    {
      name: 'non-zero while stopping is interrupted',
      script: 'exit 130',
      stopping: true,
      outcome: 'interrupted',
    },
    { name: 'exit 0 while stopping is still done', script: 'exit 0', stopping: true, outcome: 'done' },
  ])('$name', async ({ script, stopping, outcome }) => {
    expect(await runItem(['sh', '-c', script], options({ stopping: () => stopping }))).toBe(outcome);
  });

  it('calls a command that cannot start failed, and says why', async () => {
    const log: string[] = [];
    expect(await runItem(['/nonexistent/cmd'], options({ log: (l) => log.push(l) }))).toBe('failed');
    expect(log[0]).toMatch(/^cannot run \/nonexistent\/cmd: /);
  });

  it('stops the whole process group when the grace period is over, and calls it interrupted', async () => {
    const kill = new AbortController();
    const started = Date.now();
    // The shell waits for a grandchild: stopping only the shell would leave `sleep` running.
    const run = runItem(['sh', '-c', 'sleep 30 & wait; exit 0'], options({ kill: kill.signal }));
    setTimeout(() => kill.abort(), 200);
    expect(await run).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives a per-block command its items on stdin and takes its progress lines', async () => {
    const progress: number[] = [];
    const outcome = await runBlock(
      [
        'sh',
        '-c',
        'n=0; while read x; do n=$((n+1)); echo "teamtask:done $n"; done; test "$TEAMTASK_BLOCK_SIZE" = 3',
      ],
      ['a', 'b', 'c'],
      { TEAMTASK_BLOCK_SIZE: '3' },
      (n) => progress.push(n),
      options(),
    );
    expect(outcome).toBe('done');
    expect(progress).toEqual([1, 2, 3]);
  });
});
