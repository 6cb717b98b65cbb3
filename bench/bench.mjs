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
//   create the create verb alone, and the CPU of the create command (with
//          the processes it waited for; the container's process is not in it)
//   memory PSS of a created, not yet started container (its waiting process)
//   verbs  pause+resume, update --memory 64m, events --stats, ps --format json,
//          exec of /bin/true (--detach, and attached) in one running
//          container (`sleep 1000`) per runtime
//   par100 100 creates spawned at once (as an engine's process pool would),
//          then 100 deletes at once: wall time of each batch, and the CPU
//          per create of the create batch
// A verb a runtime fails prints "n/a (<first line of its error>)".
// Usage: npm run bench -- [--rounds N] [--verb-rounds N] [--par N] [--par-rounds N]
//                         [--quick] [--id-prefix P] [--json FILE]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const QUICK = args.includes('--quick');
const ROUNDS = Number(opt('--rounds', QUICK ? '10' : '30'));
// The verbs of a running container and the parallel batches are slower or
// heavier than the cycle: fewer rounds keep the whole run near 3 minutes.
const VERB_ROUNDS = Number(opt('--verb-rounds', QUICK ? '5' : '15'));
const PAR = Number(opt('--par', '100'));
const PAR_ROUNDS = Number(opt('--par-rounds', QUICK ? '1' : '3'));
const ID_PREFIX = opt('--id-prefix', 'bench');
const IDLE_MS = Number(opt('--idle-ms', '150'));
const WARMUP = 3;

const work = mkdtempSync(path.join(tmpdir(), 'runts-bench-'));
const bundle = path.join(work, 'bundle');
execFileSync(path.join(root, 'scripts/make-bundle.sh'), [bundle, '/bin/true'], { stdio: ['ignore', 'ignore', 'inherit'] });
// crun 1.8 accepts ociVersion up to 1.1.x: the bundle says 1.0.2-dev, what
// `runc spec` writes; the rest is `runts spec`'s default config.
const configFile = path.join(bundle, 'config.json');
writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), ociVersion: '1.0.2-dev' }, null, 2));
// A second bundle whose process keeps running, for the verbs of a running
// container; no terminal, as the first.
const sleepBundle = path.join(work, 'sleep-bundle');
execFileSync(path.join(root, 'scripts/make-bundle.sh'), [sleepBundle, 'sleep', '1000'], { stdio: ['ignore', 'ignore', 'inherit'] });
const sleepConfig = path.join(sleepBundle, 'config.json');
writeFileSync(sleepConfig, JSON.stringify({ ...JSON.parse(readFileSync(sleepConfig, 'utf8')), ociVersion: '1.0.2-dev' }, null, 2));
// The process of the exec rows: /bin/true, as engines describe it.
const execProcess = path.join(work, 'exec-process.json');
writeFileSync(execProcess, JSON.stringify({ cwd: '/', args: ['/bin/true'], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], user: { uid: 0, gid: 0 } }));
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
// CPU (user + system, ms) of this process's children that have been waited
// for: a create command with the processes it waited for itself. The
// container's own process is not in it for any runtime (it outlives the
// command). USER_HZ is 100 on Linux.
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function cycle(rt) {
  const id = `${ID_PREFIX}-${rt.name.replace(/\W/g, '')}-${++counter}`;
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
  const id = `${ID_PREFIX}-c-${rt.name.replace(/\W/g, '')}-${++counter}`;
  const cpu0 = childrenCpuMs();
  const t0 = now();
  run(rt, ['create', '--bundle', bundle, id]);
  const t = now() - t0;
  results[rt.name].createCpu.push(childrenCpuMs() - cpu0);
  run(rt, ['delete', '--force', id]);
  return t;
}

function pss(pid) {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
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
const VERBS = {
  pause: (id) => [['pause', id], ['resume', id]],
  update: (id) => [['update', '--memory', '64m', id]],
  events: (id) => [['events', '--stats', id]],
  ps: (id) => [['ps', '--format', 'json', id]],
  // A new process in the running container: started and left (--detach),
  // or waited for (its exit code is the command's).
  // Engines pass the process as a file (--process), as here.
  execDetached: (id) => [['exec', '--process', execProcess, '--detach', id]],
  exec: (id) => [['exec', '--process', execProcess, id]],
};
for (const rt of available) {
  results[rt.name] = { cold: [], cycle: [], create: [], createCpu: [], state: [], pss: [], parCreate: [], parCreateCpu: [], parDelete: [] };
  for (const v of Object.keys(VERBS)) results[rt.name][v] = [];
}
// Why a section could not be measured for a runtime: shown as n/a (...).
const failures = {};
for (const rt of available) failures[rt.name] = {};
const firstLine = (e) => String(e instanceof Error ? e.message : e).split('\n').find((l) => l.trim()) ?? String(e);

// One command without waiting in line: resolves to null or the failure text.
// Its stderr goes to a file, not a pipe: a created container inherits it and
// would hold a pipe open until it exits.
let asyncCounter = 0;
function runAsync(rt, verbArgs) {
  const errFile = path.join(work, `async-${++asyncCounter}.err`);
  const fd = openSync(errFile, 'w');
  return new Promise((resolve) => {
    const child = spawn(rt.bin, ['--root', rt.root, ...verbArgs], { env: rt.env, stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    const text = () => {
      const t = readFileSync(errFile, 'utf8');
      rmSync(errFile, { force: true });
      return t;
    };
    child.on('error', (e) => resolve(`${rt.name} ${verbArgs[0]}: ${e.message}`));
    child.on('exit', (code) => {
      const err = text();
      resolve(code === 0 ? null : `${rt.name} ${verbArgs.join(' ')}: ${err || `exit ${code}`}`);
    });
  });
}

// PAR creates all spawned at once, then PAR deletes all at once.
async function parallel(rt, round) {
  const ids = Array.from({ length: PAR }, (_, i) => `${ID_PREFIX}-p-${rt.name.replace(/\W/g, '')}-${round}-${i}`);
  try {
    const cpu0 = childrenCpuMs();
    let t0 = now();
    const created = await Promise.all(ids.map((id) => runAsync(rt, ['create', '--bundle', bundle, id])));
    const tCreate = now() - t0;
    const cpuPerCreate = (childrenCpuMs() - cpu0) / PAR;
    t0 = now();
    const deleted = await Promise.all(ids.map((id) => runAsync(rt, ['delete', '--force', id])));
    const tDelete = now() - t0;
    const cErr = created.find((e) => e !== null);
    const dErr = deleted.find((e) => e !== null);
    if (cErr) failures[rt.name].parCreate ??= firstLine(cErr);
    else {
      results[rt.name].parCreate.push(tCreate);
      results[rt.name].parCreateCpu.push(cpuPerCreate);
    }
    if (dErr) failures[rt.name].parDelete ??= firstLine(dErr);
    else results[rt.name].parDelete.push(tDelete);
  } finally {
    // A failed create or delete leaves no container behind.
    await Promise.all(ids.map((id) => runAsync(rt, ['delete', '--force', id])));
  }
}

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
    const id = `${ID_PREFIX}-s-${rt.name.replace(/\W/g, '')}`;
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

  // The verbs of one running container per runtime.
  const running = {};
  for (const rt of available) {
    const id = `${ID_PREFIX}-r-${rt.name.replace(/\W/g, '')}`;
    try {
      run(rt, ['create', '--bundle', sleepBundle, id]);
      run(rt, ['start', id]);
      running[rt.name] = id;
    } catch (e) {
      for (const v of Object.keys(VERBS)) failures[rt.name][v] = firstLine(e);
    }
  }
  for (const [verb, cmds] of Object.entries(VERBS)) {
    for (let i = 0; i < VERB_ROUNDS; i++) {
      for (const rt of rotate(available, i)) {
        const id = running[rt.name];
        if (id === undefined || failures[rt.name][verb] !== undefined) continue;
        try {
          const t0 = now();
          for (const c of cmds(id)) run(rt, c);
          results[rt.name][verb].push(now() - t0);
        } catch (e) {
          failures[rt.name][verb] = firstLine(e);
          // A failed pause must not leave the container frozen for the rest.
          if (verb === 'pause') spawnSync(rt.bin, ['--root', rt.root, 'resume', id], { env: rt.env, stdio: 'ignore' });
        }
      }
    }
  }
  for (const rt of available) if (running[rt.name]) run(rt, ['delete', '--force', running[rt.name]]);

  // Parallel batches, one runtime at a time (they would share the CPUs).
  for (let i = 0; i < PAR_ROUNDS; i++) for (const rt of rotate(available, i)) await parallel(rt, i);
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
  ['  CPU of a create command (ms, mean)', 'createCpu'],
  ['state (ms)', 'state'],
  ['waiting container PSS (kB)', 'pss'],
  [`pause+resume of a running container (ms)`, 'pause'],
  ['update --memory 64m (ms)', 'update'],
  ['events --stats (ms)', 'events'],
  ['ps --format json (ms)', 'ps'],
  ['exec --process (/bin/true) --detach (ms)', 'execDetached'],
  ['exec --process (/bin/true), attached (ms)', 'exec'],
  [`${PAR} creates in parallel, wall (ms)`, 'parCreate'],
  [`  CPU per create in that batch (ms)`, 'parCreateCpu'],
  [`${PAR} deletes in parallel, wall (ms)`, 'parDelete'],
];
const lines = [];
lines.push(`runts benchmark: ${ROUNDS} rounds (verbs of a running container ${VERB_ROUNDS}, parallel batches ${PAR_ROUNDS}), runtimes interleaved; medians (p10-p90)`);
lines.push(`host: ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs; cgroup v1 (unified unmounted in this mount namespace)`);
lines.push(`node -e 0: ${fmt(median(nodeStart))} ms`);
lines.push('');
lines.push(['', ...names, ...names.filter((n) => n !== 'runts' && !n.startsWith('runts')).map((n) => `runts/${n}`)].join(' | '));
for (const [label, key] of rows) {
  // The kernel counts a child's CPU in 10 ms ticks: per create, only a mean is exact.
  const mid = key === 'createCpu' ? mean : median;
  const med = Object.fromEntries(names.map((n) => [n, results[n][key].length ? mid(results[n][key]) : NaN]));
  const cells = names.map((n) => {
    const failed = failures[n][key] ?? (key === 'parCreateCpu' ? failures[n].parCreate : undefined);
    if (failed !== undefined) return `n/a (${failed})`;
    if (key === 'pss' || key === 'createCpu' || results[n][key].length < 3) return fmt(med[n]);
    return `${fmt(med[n])} (${fmt(pct(results[n][key], 10))}-${fmt(pct(results[n][key], 90))})`;
  });
  const ratios = names.filter((n) => !n.startsWith('runts')).map((n) => (Number.isNaN(med.runts) || Number.isNaN(med[n]) ? '-' : `${(med.runts / med[n]).toFixed(2)}x`));
  lines.push([label, ...cells, ...ratios].join(' | '));
}
console.log(lines.join('\n'));
const jsonFile = opt('--json', path.join(root, 'bench/results/latest.json'));
mkdirSync(path.dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, verbRounds: VERB_ROUNDS, par: PAR, parRounds: PAR_ROUNDS, nodeStart: median(nodeStart), results, failures }, null, 2));
