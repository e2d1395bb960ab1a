import { describe, expect, it } from 'vitest';
import { cpuSnapshot, cpuUse, parseMachineStat, parseProcessStat } from './cpu.js';

describe('where the CPU went', () => {
  it("reads the machine's busy jiffies (not idle, not I/O wait) and its cores from /proc/stat", () => {
    const stat = [
      'cpu  100 5 50 1000 40 3 2 1 0 0',
      'cpu0 50 3 25 500 20 2 1 0 0 0',
      'cpu1 50 2 25 500 20 1 1 1 0 0',
      'intr 12345',
    ].join('\n');
    expect(parseMachineStat(stat)).toEqual({ busy: 100 + 5 + 50 + 3 + 2 + 1, cores: 2 });
  });

  it("reads a process's utime + stime, whatever its command name holds", () => {
    const fields = ['S', ...Array.from({ length: 10 }, (_, i) => String(i)), '700', '45', '0', '0'];
    expect(parseProcessStat(`4242 (kube-apiserver) ${fields.join(' ')}`)).toBe(745);
    expect(parseProcessStat(`4242 (a (b) c) ${fields.join(' ')}`)).toBe(745);
  });

  it('gives the cores in use on average between two snapshots, leaving out a process that was not there at the start', () => {
    const before = { atMs: 0, cores: 2, machineBusy: 1000, processes: { etcd: 100, controller: 50 } };
    const after = {
      atMs: 10_000,
      cores: 2,
      machineBusy: 2950,
      processes: { etcd: 300, controller: 75, redis: 10 },
    };
    expect(cpuUse(before, after)).toEqual({
      cores: 2,
      machineCores: 1.95,
      byProcess: { etcd: 0.2, controller: 0.03 },
    });
  });

  it('tells nothing of a run shorter than a second: 100 ticks a second cannot', () => {
    const at = (atMs: number, ticks: number) => ({ atMs, cores: 2, machineBusy: ticks, processes: {} });
    expect(cpuUse(at(0, 0), at(999, 1))).toBeUndefined();
    expect(cpuUse(at(0, 0), at(1000, 1))).toMatchObject({ machineCores: 0.01 });
  });

  it('measures this process from /proc, and leaves out a pid that does not exist', () => {
    const s = cpuSnapshot({ self: process.pid, gone: 2 ** 22 + 1 });
    expect(s.cores).toBeGreaterThan(0);
    expect(Object.keys(s.processes)).toEqual(['self']);
    expect(s.processes.self).toBeGreaterThan(0);
  });
});
