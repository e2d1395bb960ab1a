import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { round, sleep } from './context.js';
import { cpuSnapshot, cpuUse, type CpuUse } from './cpu.js';
import type { ItemFunction } from './item-functions.js';
import { RedisClient } from './resp.js';

/**
 * The baseline users actually pick for "a queue of work items": the Kubernetes documentation's
 * "Fine parallel processing using a work queue" (its rediswq.py), a Redis list that workers
 * lease from. A worker moves an entry from the queue to a processing list (LMOVE, atomic), sets
 * a lease key with an expiry, runs the entry's items, then removes the entry and the lease key.
 * Here an entry is a block of items ("first:size"), sized as Teamtask's blocks are.
 */
export interface QueueRun {
  system: 'redis-queue';
  fn: ItemFunction['name'];
  workers: number;
  items: number;
  blockSize: number;
  seconds: number;
  itemsPerSecond: number;
  /** Redis commands per block, the queue's filling excluded. */
  commandsPerBlock: number;
  /** Offsets that ran other than exactly once (empty: every item ran once). */
  notOnce: string[];
  /** Where the machine's CPU went while the workers ran (absent in results from before it was measured). */
  cpu?: CpuUse;
}

/** How long a lease key lives: longer than any block of the benchmark takes. */
const LEASE_SECONDS = 60;
/** Entries per RPUSH while filling the queue. */
const FILL_BATCH = 1000;

/** A redis-server of its own, on loopback, with nothing saved to disk. */
export class RedisServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve);
      child.once('spawn', () => resolve(undefined));
    });
    if (spawned)
      throw new Error(`cannot start redis-server (apt-get install redis-server): ${spawned.message}`);
    for (let i = 0; !/Ready to accept connections/.test(output); i++) {
      if (child.exitCode !== null || i > 100) throw new Error(`redis-server did not start:\n${output}`);
      await sleep(50);
    }
    return new RedisServer(child, port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** `workers` in-process workers against a Redis work queue: the same items and costs as Teamtask's runs. */
export async function runRedisQueue(
  server: RedisServer,
  o: {
    name: string;
    fn: ItemFunction;
    workers: number;
    items: number;
    blockSize?: number;
    /** The processes whose CPU to measure, by name (bench/cpu.ts). */
    processes?: Readonly<Record<string, number>>;
  },
): Promise<QueueRun> {
  const blockSize = o.blockSize ?? o.fn.blockSize;
  const queue = `${o.name}:queue`;
  const processing = `${o.name}:processing`;
  const counts = new Uint8Array(o.items);
  const admin = new RedisClient(server.port);
  await admin.ready;
  const blocks = Math.ceil(o.items / blockSize);
  for (let b = 0; b < blocks; b += FILL_BATCH) {
    const entries = [];
    for (let i = b; i < Math.min(blocks, b + FILL_BATCH); i++)
      entries.push(`${i * blockSize}:${Math.min(blockSize, o.items - i * blockSize)}`);
    await admin.command('RPUSH', queue, ...entries);
  }
  let commands = 0;
  const worker = async (id: number) => {
    const redis = new RedisClient(server.port);
    await redis.ready;
    const call = (...args: (string | number)[]) => (commands++, redis.command(...args));
    for (;;) {
      const entry = await call('LMOVE', queue, processing, 'LEFT', 'RIGHT');
      if (entry === null) {
        // The queue is empty: done once nothing is in process anywhere (rediswq's empty()).
        if ((await call('LLEN', processing)) === 0) break;
        await sleep(10);
        continue;
      }
      await call('SET', `${o.name}:lease:${entry}`, `w${id}`, 'EX', LEASE_SECONDS);
      const [first, size] = String(entry).split(':').map(Number) as [number, number];
      for (let offset = first; offset < first + size; offset++) {
        const ms = o.fn.costMs(offset);
        if (ms > 0) await sleep(ms);
        counts[offset]!++;
      }
      await call('LREM', processing, 1, String(entry));
      await call('DEL', `${o.name}:lease:${entry}`);
    }
    redis.close();
  };
  const cpuBefore = cpuSnapshot(o.processes ?? {});
  const started = performance.now();
  await Promise.all(Array.from({ length: o.workers }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuUse(cpuBefore, cpuSnapshot(o.processes ?? {}));
  admin.close();
  const notOnce: string[] = [];
  counts.forEach((n, offset) => {
    if (n !== 1) notOnce.push(`${offset}×${n}`);
  });
  return {
    system: 'redis-queue',
    fn: o.fn.name,
    workers: o.workers,
    items: o.items,
    blockSize,
    seconds: round(seconds, 2),
    itemsPerSecond: Math.round(o.items / seconds),
    commandsPerBlock: round(commands / blocks, 2),
    notOnce: notOnce.slice(0, 20),
    cpu,
  };
}

/** A port free on loopback now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
