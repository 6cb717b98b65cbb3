#!/usr/bin/env node
// The runts benchmark: the same busybox bundle under runts, runc and crun,
// measured in one run, the runtimes interleaved (a different order at each
// round) so that none profits from a warm cache the others do not get.
//   cycle  create -> start -> wait for exit -> delete of /bin/true, each verb a
//          separate command, as an engine runs them; "cold" after an idle
//          pause (as when an engine starts a container now and then: the
//          kernel's first cgroup migration after idling waits for an RCU
//          grace period, ~15 ms here, for every runtime), and back to back
//   state  the state verb of a created container
//   create the create verb alone
//   memory PSS of a created, not yet started container (its waiting process)
// Usage: npm run bench -- [--rounds N] [--json FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROUNDS = Number(opt('--rounds', '30'));
const IDLE_MS = Number(opt('--idle-ms', '150'));
const WARMUP = 3;

const work = mkdtempSync(path.join(tmpdir(), 'runts-bench-'));
const bundle = path.join(work, 'bundle');
execFileSync(path.join(root, 'scripts/make-bundle.sh'), [bundle, '/bin/true'], { stdio: ['ignore', 'ignore', 'inherit'] });
// crun 1.8 accepts ociVersion up to 1.1.x: the bundle says 1.0.2-dev, what
// `runc spec` writes; the rest is `runts spec`'s default config.
const configFile = path.join(bundle, 'config.json');
writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), ociVersion: '1.0.2-dev' }, null, 2));
// Plain environment for every runtime; runts is also measured with this
// machine's NODE_EXTRA_CA_CERTS, which it must not pay for.
const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;
delete baseEnv.NODE_OPTIONS;

const runtimes = [
  { name: 'runts', bin: path.join(root, 'bin/runts'), env: baseEnv },
  { name: 'runc', bin: 'runc', env: baseEnv },
  { name: 'crun', bin: 'crun', env: baseEnv },
];
if (process.env.NODE_EXTRA_CA_CERTS) {
  runtimes.push({ name: 'runts+CA', bin: path.join(root, 'bin/runts'), env: { ...baseEnv, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } });
}
for (const rt of runtimes) rt.root = path.join(work, 'state', rt.name);

let counter = 0;
// Output goes to a file: a created container inherits stdout/stderr, and a
// pipe would stay open until it exits.
const outFile = path.join(work, 'output');
function run(rt, verbArgs) {
  const fd = openSync(outFile, 'w');
  const r = spawnSync(rt.bin, ['--root', rt.root, ...verbArgs], { env: rt.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${rt.name} ${verbArgs.join(' ')}: ${readFileSync(outFile, 'utf8') || r.status}`);
  return r;
}

function procState(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s[s.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
function waitExit(pid) {
  // Poll /proc (runtime-neutral): gone or a zombie means exited.
  for (;;) {
    const s = procState(pid);
    if (s === undefined || s === 'Z' || s === 'X') return;
    Atomics.wait(sleepBuf, 0, 0, 0.2);
  }
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function cycle(rt) {
  const id = `bench-${rt.name.replace(/\W/g, '')}-${++counter}`;
  const pidFile = path.join(work, `${id}.pid`);
  const t0 = now();
  run(rt, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  run(rt, ['start', id]);
  waitExit(pid);
  run(rt, ['delete', id]);
  return now() - t0;
}

function createOnly(rt) {
  const id = `bench-c-${rt.name.replace(/\W/g, '')}-${++counter}`;
  const t0 = now();
  run(rt, ['create', '--bundle', bundle, id]);
  const t = now() - t0;
  run(rt, ['delete', '--force', id]);
  return t;
}

function pss(pid) {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function rotate(list, k) {
  return list.map((_, i) => list[(i + k) % list.length]);
}

const available = runtimes.filter((rt) => spawnSync(rt.bin, ['--version'], { env: rt.env }).status === 0);
if (available.length < runtimes.length) {
  console.error(`missing runtimes: ${runtimes.filter((r) => !available.includes(r)).map((r) => r.name).join(', ')}`);
}
for (const rt of available) mkdirSync(rt.root, { recursive: true });

// runts places containers under /runts/<id> and, like every runtime, keeps
// that parent: the benchmark removes the ones it caused to exist.
const runtsParents = () => readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, 'runts'));
const parentsBefore = new Set(runtsParents().filter((d) => existsSync(d)));

const results = {};
for (const rt of available) results[rt.name] = { cold: [], cycle: [], create: [], state: [], pss: [] };

try {
  // Warm up each runtime (page cache, first-run effects), not measured.
  for (let i = 0; i < WARMUP; i++) for (const rt of available) cycle(rt);

  for (let i = 0; i < ROUNDS; i++) {
    for (const rt of rotate(available, i)) {
      Atomics.wait(sleepBuf, 0, 0, IDLE_MS);
      results[rt.name].cold.push(cycle(rt));
    }
  }
  for (let i = 0; i < ROUNDS; i++) for (const rt of rotate(available, i)) results[rt.name].cycle.push(cycle(rt));
  for (let i = 0; i < ROUNDS; i++) for (const rt of rotate(available, i)) results[rt.name].create.push(createOnly(rt));

  // state and memory of one created container per runtime.
  const created = {};
  for (const rt of available) {
    const id = `bench-s-${rt.name.replace(/\W/g, '')}`;
    const pidFile = path.join(work, `${id}.pid`);
    run(rt, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    created[rt.name] = { id, pid: Number(readFileSync(pidFile, 'utf8')) };
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const rt of rotate(available, i)) {
      const t0 = now();
      run(rt, ['state', created[rt.name].id]);
      results[rt.name].state.push(now() - t0);
    }
  }
  for (const rt of available) results[rt.name].pss.push(pss(created[rt.name].pid));
  for (const rt of available) run(rt, ['delete', '--force', created[rt.name].id]);
} finally {
  for (const rt of available) {
    for (const id of spawnSync('ls', [rt.root], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
      spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { env: rt.env });
    }
  }
  rmSync(work, { recursive: true, force: true });
  for (const d of runtsParents()) {
    if (parentsBefore.has(d) || !existsSync(d)) continue;
    try {
      rmdirSync(d);
    } catch {
      // Not empty: a container is still there, which must be looked at.
    }
  }
}

// Report.
const nodeStart = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = now();
  spawnSync('node', ['-e', '0'], { env: baseEnv });
  nodeStart.push(now() - t0);
}
const fmt = (x) => (Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const names = available.map((r) => r.name);
const rows = [
  [`cycle, cold (after ${IDLE_MS} ms idle) (ms)`, 'cold'],
  ['cycle, back to back (ms)', 'cycle'],
  ['create, back to back (ms)', 'create'],
  ['state (ms)', 'state'],
  ['waiting container PSS (kB)', 'pss'],
];
const lines = [];
lines.push(`runts benchmark: ${ROUNDS} rounds, runtimes interleaved; medians (p10-p90)`);
lines.push(`host: ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs; cgroup v1 (unified unmounted in this mount namespace)`);
lines.push(`node -e 0: ${fmt(median(nodeStart))} ms`);
lines.push('');
lines.push(['', ...names, ...names.filter((n) => n !== 'runts' && !n.startsWith('runts')).map((n) => `runts/${n}`)].join(' | '));
for (const [label, key] of rows) {
  const med = Object.fromEntries(names.map((n) => [n, median(results[n][key])]));
  const cells = names.map((n) => (key === 'pss' ? fmt(med[n]) : `${fmt(med[n])} (${fmt(pct(results[n][key], 10))}-${fmt(pct(results[n][key], 90))})`));
  const ratios = names.filter((n) => !n.startsWith('runts')).map((n) => `${(med.runts / med[n]).toFixed(2)}x`);
  lines.push([label, ...cells, ...ratios].join(' | '));
}
console.log(lines.join('\n'));
const jsonFile = opt('--json', path.join(root, 'bench/results/latest.json'));
mkdirSync(path.dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, nodeStart: median(nodeStart), results }, null, 2));
