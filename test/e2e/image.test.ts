import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

// `npm run image` from packages only: two builds of one checkout are the same image, and that
// image is what the Deployment and the worker pods rely on. (It runs in real pods in
// in-cluster.test.ts.) Not a cluster test, but a slow one that needs root and Debian's tools.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function build(): { digests: string; out: string } {
  const out = mkdtempSync(join(tmpdir(), 'teamtask-image-'));
  dirs.push(out);
  const res = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'image.sh'), '--arch', 'amd64', '--out', out], {
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).toBe(0);
  // Lines "ARCHIVE DIGEST KIND"; the archives' folder differs between the builds.
  const digests = readFileSync(join(out, 'digests.txt'), 'utf8').replaceAll(`${out}/`, '');
  return { digests, out };
}

describe('npm run image', () => {
  it('gives the same digests when built twice, for an image that runs as 65532 from /app', () => {
    const first = build();
    const second = build();
    expect(first.digests).toMatch(
      /^teamtask-v\d+\.\d+\.\d+-linux-amd64\.oci\.tar sha256:[0-9a-f]{64} manifest$/m,
    );
    expect(second.digests).toBe(first.digests);

    const archive = join(first.out, first.digests.split(' ')[0]!);
    const inspect = spawnSync('skopeo', ['inspect', '--config', `oci-archive:${archive}`], {
      encoding: 'utf8',
    });
    expect(inspect.status, inspect.stderr).toBe(0);
    const config = (JSON.parse(inspect.stdout) as { config: Record<string, unknown> }).config;
    expect(config).toMatchObject({
      User: '65532:65532',
      WorkingDir: '/app',
      Entrypoint: ['/app/bin/kubectl-teamtask'],
      Cmd: ['controller'],
    });
    expect(config.Env).toContain('NODE_ENV=production');
  }, 300_000);
});
