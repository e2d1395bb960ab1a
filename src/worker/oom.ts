import { readFileSync } from 'node:fs';

/**
 * How many times the kernel's out-of-memory killer struck in this process's cgroup: cgroup v2's
 * `memory.events`, cgroup v1's `memory.oom_control` (in a container both show the container's
 * own cgroup). Undefined where neither can be read (not Linux, no memory controller).
 */
export function oomKills(
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control']) {
    try {
      const n = parseOomKills(read(file));
      if (n !== undefined) return n;
    } catch {
      // not this cgroup version
    }
  }
  return undefined;
}

/** The `oom_kill N` line of memory.events or memory.oom_control. */
export function parseOomKills(text: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Why a command failed, in a line: the out-of-memory killer when it struck while the command ran
 * (a shell whose child it killed exits 137, so the exit code alone does not tell), else the
 * signal or the exit code.
 */
export function failureReason(
  code: number | null,
  signal: NodeJS.Signals | null,
  oomBefore: number | undefined,
  oomAfter: number | undefined,
): string {
  if (oomBefore !== undefined && oomAfter !== undefined && oomAfter > oomBefore) {
    return "killed by the out-of-memory killer: the container's memory limit is too small for the command";
  }
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
