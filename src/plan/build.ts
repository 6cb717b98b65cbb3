// config.json (validated) + the runtime's context -> the launch plan. This
// is where every name becomes a number and every path an absolute one; the
// native side only executes the result. Pure apart from the HostProbe, so
// unit tests check plans without root.
import path from 'node:path';
import { planDeviceRules } from '../cgroups/devices';
import type { CgroupPlacement } from '../cgroups/placement';
import type { Device, IdMapping, Mount, NamespaceType, OciConfig, Process } from '../config/types';
import type { HostProbe } from './host';
import { labelMount, planMountLabel, planProcessLsm } from './lsm';
import { isBindMount, MS, parseMountOptions, PROPAGATION_OPTIONS } from './mount-options';
import { CLONE_FLAGS } from './namespaces';
import { planCpuAffinity, planIoPriority, planMemoryPolicy, planPersonality, planScheduler } from './process-fields';
import { planProcessCore } from './process-core';
import { isSysctlKeyError, parseSysctlKey } from './sysctl';
import { mayCoverProcfs, needsPlainDirectory } from './proc-mounts';
import { ConfigError } from '../errors';
import { joinPath } from '../config/json-path';
import { own } from '../lookup';
import { planSeccomp, type SeccompCompiler } from '../seccomp/plan';
import { planHooks, resolveHooks } from '../hooks/plan';
import type {
  LaunchExtras,
  LaunchPlan,
  PlanDevice,
  PlanCgroupPart,
  PlanMount,
  PlanNamespaceJoin,
  PlanProcess,
  PlanRootfs,
} from './types';

export interface PlanContext {
  id: string;
  bundle: string;
  host: HostProbe;
  cgroups: CgroupPlacement;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** The runtime's environment: LISTEN_FDS is passed on, as runc does. */
  env?: NodeJS.ProcessEnv;
  /** The runtime's pid, which LISTEN_PID must name (default: this process's). */
  pid?: number;
  /** Tests: exercise the user-space path walk instead of openat2. */
  forceSafeWalk?: boolean;
  /** Compiles linux.seccomp (the addon's libseccomp); needed only when the config has a profile. */
  compileSeccomp?: SeccompCompiler;
}

export const DEFAULT_DEVICES: readonly PlanDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
];

function namespaces(config: OciConfig): { cloneFlags: number; joins: PlanNamespaceJoin[]; created: Set<NamespaceType> } {
  let cloneFlags = 0;
  const joins: PlanNamespaceJoin[] = [];
  const created = new Set<NamespaceType>();
  for (const ns of config.linux?.namespaces ?? []) {
    const flag = own(CLONE_FLAGS, ns.type) ?? 0;
    if (ns.path) joins.push({ flag, path: ns.path });
    else {
      cloneFlags |= flag;
      created.add(ns.type);
    }
  }
  // The user namespace first: the others are joined with its privileges.
  joins.sort((a, b) => Number(b.flag === CLONE_FLAGS.user) - Number(a.flag === CLONE_FLAGS.user));
  return { cloneFlags, joins, created };
}

function idMap(mappings: readonly IdMapping[] | undefined): string {
  return (mappings ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * The config's cgroup mount (runc's mountCgroupV1/V2). On v2: cgroup2 with a
 * cgroup namespace (it shows the namespace's root: the container's cgroup),
 * else a bind of the container's cgroup. On v1 and hybrid: a tmpfs with one
 * entry per hierarchy, named as on the host (memory, cpu,cpuacct, systemd,
 * and on a hybrid host unified), plus the co-mount symlinks (cpu ->
 * cpu,cpuacct); each entry a new mount of the hierarchy with a cgroup
 * namespace, a bind of the container's cgroup directory without one.
 * runc and crun leave the unified hierarchy of a hybrid host out; runts
 * mounts it as systemd-nspawn does, so that systemd inside finds its
 * /sys/fs/cgroup/unified.
 */
function cgroupMount(m: Mount, base: PlanMount, ctx: PlanContext, cgroupNs: boolean): PlanMount {
  const dirs = ctx.cgroups.dirs;
  if (ctx.cgroups.mode === 'v2') {
    const unified = dirs.find((d) => d.version === 2);
    if (cgroupNs || !unified) return { ...base, kind: 'fs', type: 'cgroup2', source: m.source ?? 'cgroup' };
    // Without a cgroup namespace, show only the container's own cgroup.
    const extra = base.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return { ...base, kind: 'bind', source: unified.dir, flags: MS.BIND | MS.REC, remount: extra !== 0, remountFlags: extra };
  }
  const parts: PlanCgroupPart[] = [];
  for (const d of dirs) {
    const name = path.posix.basename(d.mountPoint);
    // Two hierarchies mounted under the same name elsewhere: the first wins.
    if (!name || parts.some((p) => p.name === name)) continue;
    if (!cgroupNs) parts.push({ name, type: 'bind', source: d.dir, data: '' });
    else if (d.version === 1) parts.push({ name, type: 'cgroup', source: 'cgroup', data: d.hierarchy });
    else parts.push({ name, type: 'cgroup2', source: 'cgroup2', data: '' });
  }
  const links = parts.flatMap((p) =>
    p.name.includes(',') ? p.name.split(',').filter((part) => !parts.some((q) => q.name === part)).map((part) => ({ name: part, target: p.name })) : [],
  );
  // The tmpfs that holds them; its data gains the mount label.
  return { ...base, kind: 'cgroup1', data: 'mode=755', cgroupParts: parts, cgroupLinks: links };
}

function planMount(m: Mount, ctx: PlanContext, cgroupNs: boolean): PlanMount {
  const options = parseMountOptions(m.options);
  const destination = path.posix.normalize(`/${m.destination}`).replace(/(.)\/+$/, '$1');
  const base: PlanMount = {
    kind: 'fs',
    destination,
    source: m.source ?? m.type ?? 'none',
    type: m.type ?? '',
    flags: options.flags,
    data: options.data,
    remount: false,
    remountFlags: 0,
    propagation: options.propagation,
    recAttrSet: options.recAttrSet,
    recAttrClr: options.recAttrClr,
    sourceIsDir: true,
    mayCoverProcfs: mayCoverProcfs(destination, m.type),
    needsPlainDirectory: needsPlainDirectory(m.type),
    // The semantic checks refuse tmpcopyup on anything but a tmpfs.
    copyUp: options.copyUp && m.type === 'tmpfs',
    cgroupParts: [],
    cgroupLinks: [],
  };
  if (isBindMount(m.type, m.options)) {
    const source = path.resolve(ctx.bundle, m.source ?? '');
    const extra = options.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return {
      ...base,
      kind: 'bind',
      type: '',
      source,
      copyUp: false,
      flags: MS.BIND | (options.flags & MS.REC),
      remount: extra !== 0,
      remountFlags: extra,
      sourceIsDir: ctx.host.kind(source) !== 'file',
    };
  }
  if (m.type === 'cgroup') return cgroupMount(m, base, ctx, cgroupNs);
  return base;
}

function planDevices(config: OciConfig, withDefaults: boolean): PlanDevice[] {
  const fromConfig: PlanDevice[] = (config.linux?.devices ?? []).map((d: Device) => ({
    path: path.posix.normalize(d.path),
    type: d.type,
    major: d.type === 'p' ? 0 : (d.major ?? 0),
    minor: d.type === 'p' ? 0 : (d.minor ?? 0),
    mode: (d.fileMode ?? 0o666) & 0o7777,
    uid: d.uid ?? 0,
    gid: d.gid ?? 0,
  }));
  const configured = new Set(fromConfig.map((d) => d.path));
  const defaults = withDefaults ? DEFAULT_DEVICES.filter((d) => !configured.has(d.path)) : [];
  return [...defaults, ...fromConfig];
}

// No process.capabilities means no capabilities, as with runc and crun: the
// field is optional, and its absence must not leave the container's root
// with everything the runtime holds.
function planProcess(process: Process, ctx: PlanContext): PlanProcess {
  return {
    ...planProcessCore(process, ctx, { capabilities: process.capabilities, rlimits: process.rlimits }),
    oomScoreAdj: process.oomScoreAdj ?? null,
    newKeyring: !ctx.noNewKeyring,
    scheduler: planScheduler(process),
    ioPriority: planIoPriority(process),
    cpuAffinity: planCpuAffinity(process),
    lsm: planProcessLsm(process),
  };
}

// Keys were checked by the semantic checks; one that does not parse here
// never reaches the init.
function planSysctls(sysctl: Record<string, string> | undefined): LaunchPlan['sysctls'] {
  return Object.entries(sysctl ?? {}).map(([key, value]) => {
    const parsed = parseSysctlKey(key);
    if (isSysctlKeyError(parsed)) throw new ConfigError('config.json', [{ path: joinPath('linux.sysctl', key), message: parsed.error }]);
    return { key, path: parsed.path, value };
  });
}

function planRootfs(config: OciConfig, ctx: PlanContext): PlanRootfs {
  const rootPath = ctx.host.realpath(path.resolve(ctx.bundle, config.root?.path ?? 'rootfs'));
  const propagation = config.linux?.rootfsPropagation;
  const keepPrivate = propagation !== undefined && /private|unbindable/.test(propagation);
  return {
    path: rootPath,
    noPivot: ctx.noPivot ?? false,
    propagation: MS.REC | (keepPrivate ? MS.PRIVATE : MS.SLAVE),
    rootfsPropagation: propagation ? (own(PROPAGATION_OPTIONS, propagation) ?? 0) : 0,
    readonly: config.root?.readonly ?? false,
  };
}

export function buildPlan(config: OciConfig, ctx: PlanContext): { plan: LaunchPlan; extras: LaunchExtras } {
  const ns = namespaces(config);
  const label = config.linux?.mountLabel;
  // A cgroup namespace created or joined (runc's Namespaces.Contains): a
  // cgroup filesystem mounted in it shows the namespace's root. The init is
  // in the container's cgroups before it unshares (addon/node/launch.cc
  // writes cgroup.procs before it sends the plan), so a new namespace's root
  // is the container's cgroup.
  const cgroupNs = ns.created.has('cgroup') || ns.joins.some((j) => j.flag === CLONE_FLAGS.cgroup);
  // A joined mount namespace (linux.namespaces gives it a path) gets the
  // root filesystem set up in it like a new one, as runc does: the spec
  // asks for the same container either way.
  const mounts = (config.mounts ?? []).map((m) => {
    const planned = planMount(m, ctx, cgroupNs);
    return label ? labelMount(planned, label) : planned;
  });
  // A /dev bind-mounted from the host already has its nodes.
  const setupDev = mounts.find((m) => m.destination === '/dev')?.kind !== 'bind';
  const seccomp = planSeccomp(config, ctx.compileSeccomp);
  const timeOffsets = Object.entries(config.linux?.timeOffsets ?? {})
    .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`)
    .join('');
  const plan: LaunchPlan = {
    version: 1,
    id: ctx.id,
    cloneFlags: ns.cloneFlags,
    joins: ns.joins,
    timeOffsets,
    rootfs: planRootfs(config, ctx),
    mounts,
    setupDev,
    devices: planDevices(config, setupDev),
    maskedPaths: config.linux?.maskedPaths ?? [],
    readonlyPaths: config.linux?.readonlyPaths ?? [],
    sysctls: planSysctls(config.linux?.sysctl),
    hostname: config.hostname ? config.hostname : null,
    domainname: config.domainname ? config.domainname : null,
    forceSafeWalk: ctx.forceSafeWalk ?? false,
    personality: planPersonality(config.linux),
    memoryPolicy: planMemoryPolicy(config.linux),
    mountLabel: planMountLabel(config, mounts),
    process: planProcess(config.process ?? { cwd: '/' }, ctx),
    seccomp: seccomp.plan,
    hooks: planHooks(resolveHooks(config, ctx.env ?? {})),
    exec: null,
  };
  const userNs = ns.created.has('user');
  return {
    plan,
    extras: {
      uidMap: userNs ? idMap(config.linux?.uidMappings) : '',
      gidMap: userNs ? idMap(config.linux?.gidMappings) : '',
      ...(seccomp.listenerPath ? { seccompListenerPath: seccomp.listenerPath, seccompListenerMetadata: seccomp.listenerMetadata } : {}),
      deviceRules: planDeviceRules(config),
    },
  };
}
