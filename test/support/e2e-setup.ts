import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, inject } from 'vitest';

// When a test fails, show what the control plane said: the tail of every component's log,
// once per test file (later failures in the file would repeat the same lines).
let shown = false;
afterEach((ctx) => {
  const logs = inject('kcpLogs');
  if (ctx.task.result?.state !== 'fail' || !logs || shown) return;
  shown = true;
  for (const file of readdirSync(logs)) {
    const lines = readFileSync(join(logs, file), 'utf8').trimEnd().split('\n').slice(-15);
    console.error(`--- ${join(logs, file)} (last ${lines.length} lines) ---\n${lines.join('\n')}`);
  }
});
