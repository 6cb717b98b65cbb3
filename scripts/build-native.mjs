#!/usr/bin/env node
// Builds the addon, runts-init and the runts launcher with node-gyp, offline:
// the headers come from the Node installation that runs this script
// (/usr/include/node for /usr/bin/node), never from a download.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const nodedir = path.dirname(path.dirname(process.execPath));
if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`runts: Node headers not found under ${nodedir}/include/node; install them (Debian: nodejs-dev / libnode-dev)`);
  process.exit(1);
}

function nodeGyp() {
  // npm sets this for lifecycle scripts to its own bundled node-gyp.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const require = createRequire(import.meta.url);
  return require.resolve('node-gyp/bin/node-gyp.js');
}

const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
const result = spawnSync(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${nodedir}`, '--jobs', jobs], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: path.dirname(path.dirname(new URL(import.meta.url).pathname)),
});
process.exit(result.status ?? 1);
