import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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

describe('the release tarball and its krew manifest', () => {
  let unpacked: string;
  let manifest: {
    spec: { version: string; platforms: { selector: unknown; sha256: string; bin: string }[] };
  };

  beforeAll(() => {
    // Reproducible: the same commit always gives the same bytes (sorted, mtime 0, gzip -n).
    execFileSync('bash', ['scripts/pack.sh', 'linux-x64'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    unpacked = mkdtempSync(join(tmpdir(), 'teamtask-release-'));
    execFileSync('tar', ['xzf', join(REPO_ROOT, 'pack', 'teamtask-v0.1.0-linux-x64.tar.gz'), '-C', unpacked]);
    manifest = parse(readFileSync(join(REPO_ROOT, 'pack', 'teamtask.yaml'), 'utf8')) as typeof manifest;
  }, 300_000);

  it('runs with the Node it brings, whatever Node the machine has, and reaches the cluster', () => {
    const env = { PATH: '/usr/bin:/bin', KUBECONFIG: testEnv().KUBECONFIG };
    const res = spawnSync(join(unpacked, 'teamtask', 'bin', 'kubectl-teamtask'), ['version'], {
      env,
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^Client Version: v0\.1\.0\nServer Version: v/);
  });

  it('is what the krew manifest names: version, platform, sha256 and bin', () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(REPO_ROOT, 'pack', 'teamtask-v0.1.0-linux-x64.tar.gz')))
      .digest('hex');
    expect(manifest.spec.version).toBe('v0.1.0');
    expect(manifest.spec.platforms).toEqual([
      expect.objectContaining({ selector: { matchLabels: { os: 'linux', arch: 'amd64' } }, sha256: sha }),
    ]);
    expect(existsSync(join(unpacked, manifest.spec.platforms[0]!.bin))).toBe(true);
    // The committed manifest (a release's) covers Linux and macOS on both architectures, same layout.
    const committed = parse(
      readFileSync(join(REPO_ROOT, 'plugins', 'teamtask.yaml'), 'utf8'),
    ) as typeof manifest;
    expect(committed.spec.version).toBe(manifest.spec.version);
    expect(committed.spec.platforms.map((p) => p.selector)).toEqual(
      ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64'].map((s) => {
        const [os, arch] = s.split('/');
        return { matchLabels: { os, arch } };
      }),
    );
    expect(new Set(committed.spec.platforms.map((p) => p.bin))).toEqual(
      new Set([manifest.spec.platforms[0]!.bin]),
    );
  });
});
