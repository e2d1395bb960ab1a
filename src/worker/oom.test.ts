import { describe, expect, it } from 'vitest';
import { failureReason, oomKills, parseOomKills } from './oom.js';

describe('oomKills', () => {
  const files = (contents: Record<string, string | undefined>) => (f: string) => {
    const text = contents[f];
    if (text === undefined) throw new Error(`ENOENT ${f}`);
    return text;
  };
  it.each([
    {
      name: "reads cgroup v2's memory.events",
      files: {
        '/sys/fs/cgroup/memory.events': 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n',
      },
      want: 2,
    },
    {
      name: "reads cgroup v1's memory.oom_control",
      files: { '/sys/fs/cgroup/memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n' },
      want: 5,
    },
    { name: 'is undefined without a memory controller', files: {}, want: undefined },
    {
      name: 'is undefined on a kernel that does not count kills',
      files: { '/sys/fs/cgroup/memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n' },
      want: undefined,
    },
  ])('$name', ({ files: f, want }) => {
    expect(oomKills(files(f))).toBe(want);
  });

  it('does not take oom_group_kill for oom_kill', () => {
    expect(parseOomKills('oom_group_kill 7\n')).toBeUndefined();
  });
});

describe('failureReason', () => {
  it.each([
    {
      name: 'names the out-of-memory killer when it struck meanwhile',
      code: 137,
      signal: null,
      before: 1,
      after: 2,
      want: /^killed by the out-of-memory killer/,
    },
    {
      name: 'names the signal otherwise',
      code: null,
      signal: 'SIGKILL' as const,
      before: 1,
      after: 1,
      want: /^killed by SIGKILL$/,
    },
    {
      name: 'names the exit code',
      code: 3,
      signal: null,
      before: undefined,
      after: undefined,
      want: /^exit code 3$/,
    },
  ])('$name', ({ code, signal, before, after, want }) => {
    expect(failureReason(code, signal, before, after)).toMatch(want);
  });
});
