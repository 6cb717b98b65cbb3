// Planning and validation of linux.personality, process.ioPriority,
// process.scheduler, linux.memoryPolicy, process.execCPUAffinity and the
// refusal of linux.intelRdt: names become the kernel's numbers, lists become
// bitmask words, and every bad value is reported with its JSON path.
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import { semanticProblems } from '../../src/config/semantic';
import type { OciConfig } from '../../src/config/types';
import { schemaProblems } from '../../src/config/validate';
import { features } from '../../src/features';
import { buildPlan } from '../../src/plan/build';
import { maskWords, parseIdList } from '../../src/plan/process-fields';
import { fakeHost } from '../helpers/fake-host';

const V2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');

function config(edit: (c: OciConfig) => void = () => {}): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  c.process!.terminal = false;
  edit(c);
  return c;
}

const plan = (edit: (c: OciConfig) => void) =>
  buildPlan(config(edit), { id: 'c1', bundle: '/bundle', host: fakeHost(), cgroups: placeContainer(V2, undefined, 'c1'), env: {} }).plan;

/** "path: message" of every semantic problem. */
function problems(edit: (c: OciConfig) => void, files: Record<string, 'dir' | 'file'> = {}): string[] {
  const r = semanticProblems(config(edit), { bundle: '/bundle', host: fakeHost(files), terminalHandled: false, consoleSocket: false });
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('node and CPU lists', () => {
  it('reads single numbers, ranges and spaces, and makes 64-bit words of them', () => {
    expect(parseIdList('0-3,5', 1024)).toEqual({ ok: true, bits: [0, 1, 2, 3, 5] });
    expect(parseIdList(' 7 , 1 - 2 ', 1024)).toEqual({ ok: true, bits: [1, 2, 7] });
    expect(parseIdList('', 1024)).toEqual({ ok: true, bits: [] });
    expect(maskWords([0, 1, 2, 3, 5])).toEqual(['47']);
    expect(maskWords([63, 64, 130])).toEqual([String(1n << 63n), '1', '4']);
    expect(maskWords([])).toEqual([]);
  });

  it('refuses what is not a list, backwards ranges and numbers past the limit', () => {
    expect(parseIdList('0-', 1024)).toMatchObject({ ok: false });
    expect(parseIdList('a', 1024)).toMatchObject({ ok: false });
    expect(parseIdList('3-1', 1024)).toEqual({ ok: false, why: 'the range "3-1" ends before it starts' });
    expect(parseIdList('1024', 1024)).toEqual({ ok: false, why: '1024 is beyond the limit (1023 is the highest possible)' });
  });
});

describe('planning', () => {
  it('leaves every attribute alone when the config has none, but resets the CPU affinity', () => {
    const p = plan(() => {});
    expect(p.personality).toBeNull();
    expect(p.memoryPolicy).toBeNull();
    expect(p.process.scheduler).toBeNull();
    expect(p.process.ioPriority).toBeNull();
    expect(p.process.cpuAffinity).toEqual({ resetToAll: true, initial: null, final: null });
  });

  it('personality: the domain becomes the personality(2) argument', () => {
    expect(plan((c) => (c.linux!.personality = { domain: 'LINUX32' })).personality).toEqual({ persona: 8, domain: 'LINUX32' });
    expect(plan((c) => (c.linux!.personality = { domain: 'LINUX' })).personality).toEqual({ persona: 0, domain: 'LINUX' });
  });

  it('ioPriority: class << 13 | priority', () => {
    expect(plan((c) => (c.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 4 })).process.ioPriority).toEqual({
      value: (3 << 13) | 4, class: 'IOPRIO_CLASS_IDLE', priority: 4,
    });
    expect(plan((c) => (c.process!.ioPriority = { class: 'IOPRIO_CLASS_RT' })).process.ioPriority?.value).toBe(1 << 13);
  });

  it('scheduler: the policy and flags become numbers, unset numbers are 0, 64-bit ones strings', () => {
    expect(plan((c) => (c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 })).process.scheduler).toEqual({
      policy: 3, name: 'SCHED_BATCH', nice: 5, priority: 0, flags: '0', runtime: '0', deadline: '0', period: '0',
    });
    const dl = plan((c) => {
      c.process!.scheduler = {
        policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 2 ** 40,
        flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_DL_OVERRUN'],
      };
    }).process.scheduler;
    expect(dl).toEqual({ policy: 6, name: 'SCHED_DEADLINE', nice: 0, priority: 0, flags: '5', runtime: '10000000', deadline: '30000000', period: '1099511627776' });
  });

  it('memoryPolicy: the mode ORed with its flags, the nodes as mask words', () => {
    expect(plan((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-3,5' })).memoryPolicy).toEqual({ mode: 2, name: 'MPOL_BIND', nodes: ['47'] });
    expect(plan((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '64', flags: ['MPOL_F_STATIC_NODES'] })).memoryPolicy).toEqual({
      mode: 3 | (1 << 15), name: 'MPOL_INTERLEAVE', nodes: ['0', '1'],
    });
    expect(plan((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_LOCAL' })).memoryPolicy).toEqual({ mode: 4, name: 'MPOL_LOCAL', nodes: [] });
  });

  it('execCPUAffinity: recorded as masks for exec, never applied to the init (resetToAll stays)', () => {
    expect(plan((c) => (c.process!.execCPUAffinity = { initial: '7', final: '0-3,7' })).process.cpuAffinity).toEqual({
      resetToAll: true, initial: ['128'], final: ['143'],
    });
    expect(plan((c) => (c.process!.execCPUAffinity = { final: ' ' })).process.cpuAffinity).toEqual({ resetToAll: true, initial: null, final: null });
  });

  it('is plain JSON', () => {
    const p = plan((c) => {
      c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1 << 20, deadline: 1 << 21 };
      c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});

describe('validation', () => {
  it('accepts good values of every field, in a 1.3 config the schema also accepts', () => {
    const edit = (c: OciConfig) => {
      c.ociVersion = '1.3.0';
      c.linux!.personality = { domain: 'LINUX32', flags: [] };
      c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 7 };
      c.process!.scheduler = { policy: 'SCHED_RR', priority: 99, nice: -20, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
      c.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED_MANY', nodes: '0,2-3', flags: ['MPOL_F_NUMA_BALANCING'] };
      c.process!.execCPUAffinity = { initial: '0', final: '0-1' };
    };
    expect(problems(edit)).toEqual([]);
    expect(schemaProblems(config(edit))).toEqual([]);
  });

  it('personality: no flag is defined, so any flag is refused', () => {
    expect(problems((c) => (c.linux!.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }))).toEqual([
      'linux.personality.flags[0]: "ADDR_NO_RANDOMIZE" is not supported: the runtime-spec defines no personality flags yet, so none is applied',
    ]);
    expect(problems((c) => (c.linux!.personality = { domain: 'LINUX64' }))).toEqual([
      'linux.personality.domain: unknown execution domain "LINUX64" (known: LINUX, LINUX32)',
    ]);
  });

  it('ioPriority: the class and 0..7', () => {
    expect(problems((c) => (c.process!.ioPriority = { class: 'IOPRIO_CLASS_NONE', priority: 8 }))).toEqual([
      'process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_NONE" (known: IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)',
      'process.ioPriority.priority: must be an integer from 0 (highest) to 7 (lowest), got 8',
    ]);
  });

  it('scheduler: names, nice, the priority of each policy, and what only SCHED_DEADLINE takes', () => {
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_LAZY' }))).toEqual([
      'process.scheduler.policy: unknown scheduling policy "SCHED_LAZY" (known: SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE)',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_ISO' }))).toEqual([
      'process.scheduler.policy: SCHED_ISO is reserved by Linux but was never implemented: the kernel refuses it',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_OTHER', nice: -21, priority: 3, period: 5, flags: ['SCHED_FLAG_X'] }))).toEqual([
      'process.scheduler.nice: must be an integer from -20 to 19, got -21',
      'process.scheduler.priority: can only be set for SCHED_FIFO and SCHED_RR (the kernel refuses a static priority for SCHED_OTHER)',
      'process.scheduler.flags[0]: unknown scheduler flag "SCHED_FLAG_X" (known: SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM, SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX)',
      'process.scheduler.period: can only be set for SCHED_DEADLINE',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_FIFO' }))).toEqual([
      'process.scheduler.priority: is required for SCHED_FIFO: a real-time priority from 1 to 99 (the spec\'s default 0 is refused by the kernel)',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_FIFO', priority: 100 }))).toEqual([
      'process.scheduler.priority: must be from 1 to 99 for SCHED_FIFO, got 100',
    ]);
  });

  it('scheduler: SCHED_DEADLINE needs runtime <= deadline <= period and a runtime of 1024 ns or more', () => {
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_DEADLINE' }))).toEqual([
      'process.scheduler.deadline: is required for SCHED_DEADLINE (nanoseconds, greater than 0)',
      'process.scheduler.runtime: must be at least 1024 ns for SCHED_DEADLINE, got 0',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 20_000, deadline: 10_000, period: 5_000 }))).toEqual([
      'process.scheduler.runtime: 20000 is above the deadline 10000: the kernel needs runtime <= deadline <= period',
      'process.scheduler.period: 5000 is below the deadline 10000: the kernel needs runtime <= deadline <= period',
    ]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000, deadline: 10_000 }))).toEqual([]);
    expect(problems((c) => (c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000, deadline: 10_000, period: 2 ** 60 }))).toEqual([
      `process.scheduler.period: ${2 ** 60} is too large: at most ${Number.MAX_SAFE_INTEGER} ns`,
    ]);
  });

  it('memoryPolicy: names, the node list and its limit, and what each mode takes', () => {
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_SPREAD' }))).toEqual([
      'linux.memoryPolicy.mode: unknown memory policy mode "MPOL_SPREAD" (known: MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL, MPOL_PREFERRED_MANY, MPOL_WEIGHTED_INTERLEAVE)',
    ]);
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1024' }))).toEqual([
      'linux.memoryPolicy.nodes: "0-1024" is not a node list such as "0-3,5": 1024 is beyond the limit (1023 is the highest possible)',
    ]);
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE' }))).toEqual([
      'linux.memoryPolicy.nodes: is required for MPOL_INTERLEAVE: at least one node, e.g. "0"',
    ]);
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_DEFAULT', nodes: '0' }))).toEqual([
      'linux.memoryPolicy.nodes: must be empty for MPOL_DEFAULT, which takes no nodes',
    ]);
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_LOCAL', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_NUMA_BALANCING', 'MPOL_F_X'] }))).toEqual([
      'linux.memoryPolicy.flags[3]: unknown memory policy flag "MPOL_F_X" (known: MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES)',
      'linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other',
      'linux.memoryPolicy.flags: MPOL_LOCAL takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES',
      'linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY, not MPOL_LOCAL',
    ]);
    // MPOL_PREFERRED without nodes is "local allocation": the kernel takes it.
    expect(problems((c) => (c.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED' }))).toEqual([]);
  });

  it('execCPUAffinity: both lists are read and checked', () => {
    expect(problems((c) => (c.process!.execCPUAffinity = { initial: '1-', final: '9000' }))).toEqual([
      'process.execCPUAffinity.initial: "1-" is not a CPU list such as "0-3,7": "1-" is not a number or a range "a-b"',
      'process.execCPUAffinity.final: "9000" is not a CPU list such as "0-3,7": 9000 is beyond the limit (8191 is the highest possible)',
    ]);
  });

  it('intelRdt: refused, saying whether the host has resctrl', () => {
    expect(problems((c) => (c.linux!.intelRdt = { closID: 'x' }))).toEqual([
      'linux.intelRdt: Intel RDT needs the resctrl filesystem, and this host has none (nothing is mounted at /sys/fs/resctrl); runts does not implement Intel RDT yet either; remove it from config.json',
    ]);
    expect(problems((c) => (c.linux!.intelRdt = { closID: 'x' }), { '/sys/fs/resctrl/schemata': 'file' })[0]).toMatch(
      /^linux\.intelRdt: Intel RDT is not implemented by runts yet \(this host has resctrl/,
    );
  });

  it('reports every problem at once, with the other checks', () => {
    const all = problems((c) => {
      c.process!.cwd = 'relative';
      c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: -1 };
      c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: 'x' };
    });
    expect(all.map((p) => p.split(':')[0])).toEqual(['process.cwd', 'process.ioPriority.priority', 'linux.memoryPolicy.nodes']);
  });
});

describe('features', () => {
  it('lists the memory policy modes and flags runts recognises, and says Intel RDT is not enabled', () => {
    const f = features();
    expect(f.linux.memoryPolicy).toEqual({
      modes: ['MPOL_DEFAULT', 'MPOL_PREFERRED', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_LOCAL', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE'],
      flags: ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'],
    });
    expect(f.linux.intelRdt).toEqual({ enabled: false, schemata: false, monitoring: false });
  });
});
