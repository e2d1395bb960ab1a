import { spawn } from 'node:child_process';
import { kubectlStdin } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { readWorklist } from '../test/support/read.js';
import { InProcessWorker } from '../test/support/workers.js';
import { deleteWorklist, round, type BenchContext } from './context.js';
import { exitCode } from './teamtask.js';

/**
 * Half-second tasks, the comparison that opened issue 15: `--per-block` workers whose command
 * takes half a second a block (one item a block) against `xargs -P W` running the same command
 * once per task. Both start a shell and a `sleep` per task; Teamtask also pays its claims.
 */
export interface TaskRun {
  system: 'teamtask-per-block' | 'xargs';
  workers: number;
  tasks: number;
  taskSeconds: number;
  seconds: number;
  tasksPerSecond: number;
}

export const TASK_SECONDS = 0.5;

const taskRun = (system: TaskRun['system'], workers: number, tasks: number, seconds: number): TaskRun => ({
  system,
  workers,
  tasks,
  taskSeconds: TASK_SECONDS,
  seconds: round(seconds, 2),
  tasksPerSecond: round(tasks / seconds, 2),
});

export async function runTasksPerBlock(
  ctx: BenchContext,
  o: { name: string; workers: number; tasks: number },
): Promise<TaskRun> {
  const created = kubectlStdin(
    worklistYaml(o.name, { source: range(1, o.tasks), blockSize: 1 }),
    'create',
    '-n',
    ctx.namespace,
  );
  if (created.status !== 0) throw new Error(`creating Worklist ${o.name}: ${created.stderr}`);
  const started = performance.now();
  const pool = Array.from(
    { length: o.workers },
    (_, i) =>
      new InProcessWorker(ctx.namespace, o.name, `${o.name}-w${i}`, undefined, {
        command: ['sh', '-c', `cat > /dev/null; sleep ${TASK_SECONDS}`],
        perBlock: true,
      }),
  );
  await Promise.all(pool.map((w) => w.finished));
  const seconds = (performance.now() - started) / 1000;
  const done = (await readWorklist(ctx.namespace, o.name)).status?.completedItems;
  if (done !== o.tasks) throw new Error(`${o.name}: ${done} of ${o.tasks} tasks completed`);
  await deleteWorklist(ctx, o.name);
  return taskRun('teamtask-per-block', o.workers, o.tasks, seconds);
}

export async function runTasksXargs(o: { workers: number; tasks: number }): Promise<TaskRun> {
  const child = spawn('xargs', ['-P', String(o.workers), '-n', '1', 'sh', '-c', `sleep ${TASK_SECONDS}`], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const started = performance.now();
  child.stdin.end(Array.from({ length: o.tasks }, (_, i) => `${i + 1}\n`).join(''));
  const code = await exitCode(child);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`xargs exited ${code}`);
  return taskRun('xargs', o.workers, o.tasks, seconds);
}
