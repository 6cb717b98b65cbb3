// The launch plan in words, for `runts validate --plan`: every number of
// the plan (clone flags, MS_* flags, capability masks) turned back into its
// name, so that a person can read what create would do, and a tool can read
// the same as JSON (the PlanDescription structure). Pure: it reads the plan
// and the config only, never the machine.
import type { CgroupPlacement } from '../cgroups/placement';
import type { DeviceRule } from '../cgroups/devices';
import type { NamespaceType, OciConfig } from '../config/types';
import type { ResolvedHooks } from '../hooks/plan';
import { HOOK_KINDS } from '../hooks/plan';
import { capabilityName } from './capabilities';
import { MOUNT_ATTR, MS, PROPAGATION_OPTIONS } from './mount-options';
import { CLONE_FLAGS } from './namespaces';
import type { LaunchPlan, PlanCapabilities, PlanMount } from './types';

/** What describePlan reads: create's prepared plan and what the runtime does around it. */
export interface PlanInput {
  config: OciConfig;
  plan: LaunchPlan;
  uidMap: string;
  gidMap: string;
  deviceRules: readonly DeviceRule[];
  placement: CgroupPlacement;
  /** --cgroup-manager disabled. */
  noCgroups?: boolean;
  hooks: ResolvedHooks;
}

export interface DescribedMount {
  destination: string;
  /** bind, or the filesystem type ("proc", "tmpfs"); cgroup1: "tmpfs" holding the hierarchies. */
  type: string;
  source: string;
  /** MS_* names given to mount(2). */
  flags: string[];
  /** Propagation changes, each its own mount(2) call ("rprivate"). */
  propagation: string[];
  /** Bind mounts: the flags of the read-only/nosuid/... remount that follows the bind. */
  remountFlags: string[];
  /** mount_setattr(2) with AT_RECURSIVE: MOUNT_ATTR_* set and cleared. */
  recursiveSet: string[];
  recursiveClear: string[];
  data: string;
  /** tmpcopyup: the image's files are copied into the new tmpfs. */
  copyUp: boolean;
  /** cgroup1: one entry per hierarchy under the tmpfs ("memory: cgroup memory", "cpu,cpuacct: bind /sys/fs/cgroup/..."). */
  cgroupParts: string[];
}

export interface DescribedIdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface PlanDescription {
  id: string;
  rootfs: { path: string; readonly: boolean; pivot: 'pivot_root' | 'MS_MOVE + chroot'; rootPropagation: string; rootfsPropagation: string | null } | null;
  namespaces: {
    created: NamespaceType[];
    joined: { type: NamespaceType; path: string }[];
    /** Types not in linux.namespaces: the container shares the runtime's. */
    shared: NamespaceType[];
    uidMappings: DescribedIdMap[];
    gidMappings: DescribedIdMap[];
    timeOffsets: string[];
  };
  hostname: string | null;
  domainname: string | null;
  mounts: DescribedMount[];
  /** /dev is a new tmpfs with the default devices (false: /dev is a bind from the host). */
  setupDev: boolean;
  devices: { path: string; type: string; major: number; minor: number; mode: string; uid: number; gid: number }[];
  /** The device cgroup, in order ("deny a *:* rwm", "allow c 1:3 rwm"). */
  deviceRules: string[];
  cgroups: { mode: string; dirs: { hierarchy: string; dir: string }[] } | null;
  process: {
    args: string[];
    env: string[];
    cwd: string;
    user: { uid: number; gid: number; additionalGids: number[]; umask: string | null };
    terminal: boolean;
    noNewPrivileges: boolean;
    oomScoreAdj: number | null;
    capabilities: Record<keyof PlanCapabilities, string[]>;
    rlimits: { name: string; soft: string; hard: string }[];
    apparmorProfile: string | null;
    selinuxLabel: string | null;
    preserveFds: number;
  };
  seccomp: {
    defaultAction: string;
    /** Entries of linux.seccomp.syscalls, and the syscall names they hold. */
    rules: number;
    syscalls: number;
    architectures: string[];
    flags: string[];
    listenerPath: string | null;
    /** BPF instructions of the compiled program. */
    instructions: number;
  } | null;
  hooks: { kind: string; path: string; args: string[]; timeoutMs: number }[];
  sysctls: { key: string; value: string }[];
  maskedPaths: string[];
  readonlyPaths: string[];
}

const MS_NAMES: readonly [number, string][] = Object.entries(MS).map(([name, bit]) => [bit, `MS_${name}`]);
const ATTR_NAMES: readonly [number, string][] = Object.entries(MOUNT_ATTR)
  .filter(([name, bit]) => bit !== 0 && name !== 'ATIME_MASK')
  .map(([name, bit]) => [bit, `MOUNT_ATTR_${name}`]);

/** The MS_* names of a flag word; bits without a name are shown in hex. */
export function msFlagNames(flags: number): string[] {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of MS_NAMES) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

function attrNames(attrs: number, clearing: boolean): string[] {
  const names: string[] = [];
  // The atime mode is a field, not a bit: clearing ATIME_MASK resets it.
  if (clearing && (attrs & MOUNT_ATTR.ATIME_MASK) === MOUNT_ATTR.ATIME_MASK) names.push('MOUNT_ATTR__ATIME');
  for (const [bit, name] of ATTR_NAMES) {
    if (bit & MOUNT_ATTR.ATIME_MASK && clearing) continue;
    if ((attrs & bit) === bit) names.push(name);
  }
  return names;
}

/** A propagation flag word as its mount option name ("rslave"). */
export function propagationName(flags: number): string {
  const found = Object.entries(PROPAGATION_OPTIONS).find(([, v]) => v === flags);
  return found ? found[0] : msFlagNames(flags).join('|');
}

function namespaceName(flag: number): NamespaceType {
  const found = (Object.entries(CLONE_FLAGS) as [NamespaceType, number][]).find(([, f]) => f === flag);
  if (!found) throw new Error(`no namespace type has clone flag 0x${flag.toString(16)}`);
  return found[0];
}

/** A capability mask (decimal string) as names, in capability-number order. */
export function capabilityNames(mask: string): string[] {
  const m = BigInt(mask);
  const names: string[] = [];
  for (let n = 0; n < 64; n++) if ((m >> BigInt(n)) & 1n) names.push(capabilityName(n));
  return names;
}

function idMaps(text: string): DescribedIdMap[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [containerID, hostID, size] = line.split(' ').map(Number);
      return { containerID: containerID ?? 0, hostID: hostID ?? 0, size: size ?? 0 };
    });
}

function describeMount(m: PlanMount): DescribedMount {
  const cgroupParts = m.cgroupParts.map((p) => `${p.name}: ${p.type} ${p.type === 'cgroup' ? p.data : p.source}`);
  for (const l of m.cgroupLinks) cgroupParts.push(`${l.name} -> ${l.target}`);
  return {
    destination: m.destination,
    type: m.kind === 'bind' ? 'bind' : m.kind === 'cgroup1' ? 'tmpfs' : m.type,
    source: m.kind === 'cgroup1' ? 'tmpfs' : m.source,
    flags: msFlagNames(m.flags),
    propagation: m.propagation.map(propagationName),
    remountFlags: m.remount ? msFlagNames(m.remountFlags) : [],
    recursiveSet: attrNames(m.recAttrSet, false),
    recursiveClear: attrNames(m.recAttrClr, true),
    data: m.data,
    copyUp: m.copyUp,
    cgroupParts,
  };
}

function deviceRule(r: DeviceRule): string {
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.allow ? 'allow' : 'deny'} ${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

function describeSeccomp(config: OciConfig, plan: LaunchPlan): PlanDescription['seccomp'] {
  const s = config.linux?.seccomp;
  if (!s || !plan.seccomp) return null;
  const errno = s.defaultErrnoRet === undefined ? '' : ` (errno ${s.defaultErrnoRet})`;
  return {
    defaultAction: `${s.defaultAction}${errno}`,
    rules: s.syscalls?.length ?? 0,
    syscalls: (s.syscalls ?? []).reduce((n, r) => n + r.names.length, 0),
    architectures: s.architectures ?? [],
    flags: s.flags ?? [],
    listenerPath: plan.seccomp.notify ? (s.listenerPath ?? null) : null,
    // struct sock_filter is 8 bytes.
    instructions: Buffer.from(plan.seccomp.program, 'base64').length / 8,
  };
}

export function describePlan(input: PlanInput): PlanDescription {
  const { plan, config } = input;
  const p = plan.process;
  const created = (Object.entries(CLONE_FLAGS) as [NamespaceType, number][]).filter(([, f]) => (plan.cloneFlags & f) !== 0).map(([t]) => t);
  const joined = plan.joins.map((j) => ({ type: namespaceName(j.flag), path: j.path }));
  const named = new Set<NamespaceType>([...created, ...joined.map((j) => j.type)]);
  const caps = p.capabilities;
  return {
    id: plan.id,
    rootfs: plan.rootfs && {
      path: plan.rootfs.path,
      readonly: plan.rootfs.readonly,
      pivot: plan.rootfs.noPivot ? 'MS_MOVE + chroot' : 'pivot_root',
      rootPropagation: propagationName(plan.rootfs.propagation),
      rootfsPropagation: plan.rootfs.rootfsPropagation ? propagationName(plan.rootfs.rootfsPropagation) : null,
    },
    namespaces: {
      created,
      joined,
      shared: (Object.keys(CLONE_FLAGS) as NamespaceType[]).filter((t) => !named.has(t)),
      uidMappings: idMaps(input.uidMap),
      gidMappings: idMaps(input.gidMap),
      timeOffsets: plan.timeOffsets.split('\n').filter(Boolean),
    },
    hostname: plan.hostname,
    domainname: plan.domainname,
    mounts: plan.mounts.map(describeMount),
    setupDev: plan.setupDev,
    devices: plan.devices.map((d) => ({ ...d, mode: `0${d.mode.toString(8)}` })),
    deviceRules: input.noCgroups ? [] : input.deviceRules.map(deviceRule),
    cgroups: input.noCgroups ? null : { mode: input.placement.mode, dirs: input.placement.dirs.map((d) => ({ hierarchy: d.hierarchy || 'unified', dir: d.dir })) },
    process: {
      args: p.args,
      env: p.env,
      cwd: p.cwd,
      user: { uid: p.uid, gid: p.gid, additionalGids: p.additionalGids, umask: p.umask === null ? null : `0${p.umask.toString(8)}` },
      terminal: p.terminal,
      noNewPrivileges: p.noNewPrivileges,
      oomScoreAdj: p.oomScoreAdj,
      capabilities: {
        bounding: capabilityNames(caps.bounding),
        effective: capabilityNames(caps.effective),
        permitted: capabilityNames(caps.permitted),
        inheritable: capabilityNames(caps.inheritable),
        ambient: capabilityNames(caps.ambient),
      },
      rlimits: p.rlimits.map((r) => ({ name: r.name, soft: r.soft, hard: r.hard })),
      apparmorProfile: p.lsm.apparmorProfile,
      selinuxLabel: p.lsm.selinuxLabel,
      preserveFds: p.preserveFds,
    },
    seccomp: describeSeccomp(config, plan),
    hooks: HOOK_KINDS.flatMap((kind) => input.hooks[kind].map((h) => ({ kind, path: h.path, args: h.args, timeoutMs: h.timeoutMs }))),
    sysctls: plan.sysctls.map((s) => ({ key: s.key, value: s.value })),
    maskedPaths: plan.maskedPaths,
    readonlyPaths: plan.readonlyPaths,
  };
}

const list = (items: readonly (string | number)[]): string => (items.length ? items.join(', ') : '(none)');

/** Sections of label/value rows; labels are padded so that the values line up within a section. */
function section(title: string, rows: readonly (readonly [string, string])[]): string[] {
  if (!rows.length) return [`${title}: (none)`];
  const width = Math.max(...rows.map(([l]) => l.length));
  return [`${title}:`, ...rows.map(([l, v]) => `  ${l.padEnd(width)}  ${v}`.trimEnd())];
}

function mountLine(m: DescribedMount): string {
  const parts = [`${m.type} from ${m.source}`];
  if (m.flags.length) parts.push(`flags ${m.flags.join('|')}`);
  if (m.remountFlags.length) parts.push(`remount ${m.remountFlags.join('|')}`);
  if (m.propagation.length) parts.push(`propagation ${m.propagation.join(',')}`);
  if (m.recursiveSet.length) parts.push(`recursive set ${m.recursiveSet.join('|')}`);
  if (m.recursiveClear.length) parts.push(`recursive clear ${m.recursiveClear.join('|')}`);
  if (m.data) parts.push(`data ${m.data}`);
  if (m.copyUp) parts.push('tmpcopyup');
  return parts.join('; ');
}

function idMapText(maps: readonly DescribedIdMap[]): string {
  return list(maps.map((m) => `${m.containerID} -> ${m.hostID} (${m.size})`));
}

/** The description as text: one item a line, aligned within each section. */
export function formatPlan(d: PlanDescription): string {
  const out: string[] = [`launch plan for container "${d.id}":`];
  const r = d.rootfs;
  out.push(
    ...section('root filesystem', r
      ? [
          ['path', r.path],
          ['read-only', r.readonly ? 'yes' : 'no'],
          ['switch', r.pivot],
          ['"/" first made', r.rootPropagation],
          ['propagation', r.rootfsPropagation ?? '(left as is)'],
        ]
      : []),
  );
  const ns = d.namespaces;
  out.push(
    ...section('namespaces', [
      ['created', list(ns.created)],
      ...ns.joined.map((j): [string, string] => [`joined ${j.type}`, j.path]),
      ['shared with host', list(ns.shared)],
      ...(ns.uidMappings.length ? [['uid map', idMapText(ns.uidMappings)] as [string, string]] : []),
      ...(ns.gidMappings.length ? [['gid map', idMapText(ns.gidMappings)] as [string, string]] : []),
      ...ns.timeOffsets.map((t): [string, string] => ['time offset', t]),
      ['hostname', d.hostname ?? '(not set)'],
      ['domainname', d.domainname ?? '(not set)'],
    ]),
  );
  out.push(...section('mounts', d.mounts.flatMap((m): [string, string][] => [[m.destination, mountLine(m)], ...m.cgroupParts.map((c): [string, string] => ['', `  ${c}`])])));
  out.push(...section(`devices${d.setupDev ? '' : ' (/dev is bound from the host)'}`, d.devices.map((v) => [v.path, `${v.type} ${v.major}:${v.minor} mode ${v.mode} uid ${v.uid} gid ${v.gid}`])));
  out.push(...section('device cgroup', d.deviceRules.map((rule, i) => [String(i + 1), rule])));
  out.push(...section('cgroups', d.cgroups ? [['mode', d.cgroups.mode], ...d.cgroups.dirs.map((c): [string, string] => [c.hierarchy, c.dir])] : [['mode', 'none (--cgroup-manager disabled)']]));
  const p = d.process;
  out.push(
    ...section('process', [
      ['args', JSON.stringify(p.args)],
      ['cwd', p.cwd],
      ['user', `uid ${p.user.uid} gid ${p.user.gid}${p.user.additionalGids.length ? ` groups ${p.user.additionalGids.join(',')}` : ''}${p.user.umask ? ` umask ${p.user.umask}` : ''}`],
      ['terminal', p.terminal ? 'yes' : 'no'],
      ['no new privileges', p.noNewPrivileges ? 'yes' : 'no'],
      ...(p.oomScoreAdj === null ? [] : [['oom score adj', String(p.oomScoreAdj)] as [string, string]]),
      ...(p.apparmorProfile ? [['apparmor profile', p.apparmorProfile] as [string, string]] : []),
      ...(p.selinuxLabel ? [['selinux label', p.selinuxLabel] as [string, string]] : []),
      ...(p.preserveFds ? [['preserved fds', String(p.preserveFds)] as [string, string]] : []),
      ...p.env.map((e): [string, string] => ['env', e]),
    ]),
  );
  out.push(...section('capabilities', (Object.entries(p.capabilities) as [string, string[]][]).map(([set, names]) => [set, list(names)])));
  out.push(...section('rlimits', p.rlimits.map((l) => [l.name, `soft ${l.soft} hard ${l.hard}`])));
  const s = d.seccomp;
  out.push(
    ...section('seccomp', s
      ? [
          ['default action', s.defaultAction],
          ['rules', `${s.rules} (${s.syscalls} syscall names)`],
          ['architectures', s.architectures.length ? s.architectures.join(', ') : '(native only)'],
          ['flags', list(s.flags)],
          ...(s.listenerPath ? [['listener', s.listenerPath] as [string, string]] : []),
          ['program', `${s.instructions} BPF instructions`],
        ]
      : []),
  );
  out.push(...section('hooks', d.hooks.map((h) => [h.kind, `${JSON.stringify(h.args)}${h.args[0] === h.path ? '' : ` (${h.path})`}${h.timeoutMs ? ` timeout ${h.timeoutMs / 1000} s` : ''}`])));
  out.push(...section('sysctls', d.sysctls.map((x) => [x.key, x.value])));
  out.push(...section('masked paths', d.maskedPaths.map((x): [string, string] => [x, ''])));
  out.push(...section('read-only paths', d.readonlyPaths.map((x): [string, string] => [x, ''])));
  return `${out.join('\n')}\n`;
}
