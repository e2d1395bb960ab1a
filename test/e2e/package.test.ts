import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';
import { testEnv } from '../support/kube.js';

// What `npm pack` ships is what the image and `npm install -g` users get: production
// dependencies only, the compiled CLI, the CRDs and manifests. Installed that way, it must work.

let prefix: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'teamtask-pack-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim();
  prefix = join(dir, 'prefix');
  // --ignore-scripts: like the Dockerfile, rely on the Node on PATH rather than the `node` devDependency.
  execFileSync(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      join(dir, tarball),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] },
  );
}, 300_000);

describe('the packed package, installed with production dependencies only', () => {
  // Only the installed package's bin is where kubectl looks for the plugin (not the checkout's).
  const plugin = (...args: string[]) =>
    spawnSync('kubectl', ['teamtask', ...args], { env: testEnv(join(prefix, 'bin')), encoding: 'utf8' });

  it('runs as a kubectl plugin and reaches the cluster', () => {
    const res = plugin('version');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Client Version: v0\.1\.0\nServer Version: v/);
  });

  it('installs the completion executable kubectl asks', () => {
    const res = spawnSync('kubectl', ['__complete', 'teamtask', 'ver'], {
      env: testEnv(join(prefix, 'bin')),
      encoding: 'utf8',
    });
    expect(res.stdout).toBe('version\n:4\n');
  });

  it('ships the CRDs and manifests that install applies', () => {
    const res = plugin('install', '--dry-run=client');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/worklists.teamtask.dev');
    expect(res.stdout).toContain('deployment.apps/teamtask-controller');
  });
});
