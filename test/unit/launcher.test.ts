import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

// runtime/launcher is Go (a static binary runs in any user image); its tests run here so that
// `npm test` runs them. The e2e suite runs it in a real pod (test/e2e/in-cluster.test.ts).
describe('teamtask-launch', () => {
  it('passes its Go tests: finds the loader and libraries where glibc looks, names what is missing', () => {
    const res = spawnSync('go', ['test', '-count=1', './...'], {
      cwd: join(REPO_ROOT, 'runtime', 'launcher'),
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: 'local' },
      encoding: 'utf8',
    });
    expect(res.error).toBeUndefined();
    expect(`${res.stdout}${res.stderr}`).toMatch(/^ok\s+teamtask\.dev\/runtime\/launcher/m);
    expect(res.status).toBe(0);
  }, 120_000);
});
