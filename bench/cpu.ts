import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './context.js';

/**
 * Where the machine's CPU went during a run: the whole machine's cores in use on average
 * (/proc/stat), and each watched process's (/proc/PID/stat: the benchmark's own process with its
 * worker clients, the controller, kube-apiserver, etcd…). On 2 cores, a run that keeps both busy
 * measures the machine, not the protocol: this is what says which it was.
 */
export interface CpuUse {
  /** Cores of the machine. */
  cores: number;
  /** All cores busy on average over the run (user, system, interrupts; not idle or I/O wait). */
  machineCores: number;
  /** Cores each watched process used on average, by name. */
  byProcess: Record<string, number>;
}

/** The counters read at one instant: jiffies (USER_HZ) of the machine and of each process. */
export interface CpuSnapshot {
  atMs: number;
  cores: number;
  machineBusy: number;
  processes: Record<string, number>;
}

/** USER_HZ: the unit of /proc/stat and /proc/PID/stat times, 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** Busy jiffies of all cores and the core count, from /proc/stat's text. */
export function parseMachineStat(text: string): { busy: number; cores: number } {
  const lines = text.split('\n');
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is in user already)
  const [user, nice, system, , , irq, softirq, steal] = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: user! + nice! + system! + irq! + softirq! + (steal ?? 0),
    cores: lines.filter((l) => /^cpu\d+ /.test(l)).length,
  };
}

/** utime + stime in jiffies, from /proc/PID/stat's text (the command name may hold spaces and parentheses). */
export function parseProcessStat(text: string): number {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
  return Number(fields[11]) + Number(fields[12]);
}

/** Shorter than this, a run is too short to tell (the counters tick 100 times a second). */
export const MIN_CPU_SECONDS = 1;

/**
 * The cores in use on average between two snapshots; a process gone by the second is left out.
 * Undefined when they are less than MIN_CPU_SECONDS apart.
 */
export function cpuUse(before: CpuSnapshot, after: CpuSnapshot): CpuUse | undefined {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (seconds < MIN_CPU_SECONDS) return undefined;
  const cores = (ticks: number) => round(ticks / TICKS_PER_SECOND / seconds, 2);
  const byProcess: Record<string, number> = {};
  for (const [name, t] of Object.entries(after.processes)) {
    if (before.processes[name] !== undefined) byProcess[name] = cores(t - before.processes[name]);
  }
  return { cores: after.cores, machineCores: cores(after.machineBusy - before.machineBusy), byProcess };
}

/** Reads the counters now, for the processes named (one that is gone is left out). */
export function cpuSnapshot(pids: Readonly<Record<string, number>>): CpuSnapshot {
  const machine = parseMachineStat(readFileSync('/proc/stat', 'utf8'));
  const processes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      processes[name] = parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // Exited meanwhile.
    }
  }
  return { atMs: performance.now(), cores: machine.cores, machineBusy: machine.busy, processes };
}

/** Times `run` and measures the CPU over it. */
export async function withCpu<T>(
  pids: Readonly<Record<string, number>>,
  run: () => Promise<T>,
): Promise<[T, CpuUse | undefined]> {
  const before = cpuSnapshot(pids);
  const result = await run();
  return [result, cpuUse(before, cpuSnapshot(pids))];
}

/**
 * The local control plane's processes (kube-apiserver, etcd, kwok…), by name, from the pid files
 * its scripts write (test/cluster/up.sh). Empty for another cluster: its processes are elsewhere.
 */
export function clusterProcesses(state: string): Record<string, number> {
  const dir = join(state, 'pids');
  if (!existsSync(dir)) return {};
  const pids: Record<string, number> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(readFileSync(join(dir, file), 'utf8').trim());
    if (pid > 0 && existsSync(`/proc/${pid}`)) pids[file.slice(0, -'.pid'.length)] = pid;
  }
  return pids;
}
