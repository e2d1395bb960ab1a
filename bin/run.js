#!/usr/bin/env node
// @kubernetes/client-node 2.x needs Node >= 22.19; say so plainly instead of failing on import.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `error: kubectl teamtask needs Node.js >= 22.19 (found ${process.version}); ` +
      'install Node 24, or run it from a checkout where `npm ci` brought its own Node\n',
  );
  process.exit(1);
}
// A reader that went away (`… | head`) ends us quietly, as it does kubectl.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { execute, settings } = await import('@oclif/core');
// Always the compiled commands in dist/ (npm run build): oclif would otherwise switch to the
// TypeScript sources whenever NODE_ENV is development or test.
settings.enableAutoTranspile = false;
await execute({ dir: import.meta.url });
