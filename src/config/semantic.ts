// The checks the JSON schema cannot express: what the spec requires of
// combinations of fields, what this host can do, and what runts does not
// implement yet. Each problem carries its JSON path. The checks read the
// config defensively, so they run (and report) even where the schema found
// other problems: a user sees every problem in one go.
import path from 'node:path';
import type { ConfigProblem } from '../errors';
import type { HostProbe } from '../plan/host';
import { isBindMount, parseMountOptions } from '../plan/mount-options';
import { CLONE_FLAGS, PROC_NS_NAMES } from '../plan/namespaces';
import { RLIMITS } from '../plan/rlimits';
import { capabilityNumber } from '../plan/capabilities';
import type { NamespaceType } from './types';
import { joinPath } from './json-path';
import { lsmProblems } from './lsm';
import { checkOciVersion } from './version';

export interface SemanticContext {
  bundle: string;
  host: HostProbe;
  /** The caller gives the pty master a home: --console-socket, or `run` attached to a terminal. */
  terminalHandled: boolean;
  consoleSocket: boolean;
}

export interface SemanticResult {
  problems: ConfigProblem[];
  warnings: string[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

// /proc files that tools such as lxcfs legitimately bind over (runc's list).
const PROC_MOUNT_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

// sysctls that belong to the IPC namespace (runc's list).
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

class Checker {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  unsupported(path: string, what: string): void {
    this.problem(path, `${what} is not supported by runts yet; remove it from config.json`);
  }
}

interface NamespaceInfo {
  created: Set<NamespaceType>;
  joined: Map<NamespaceType, string>;
}

function checkNamespaces(c: Checker, linux: Json | undefined, host: HostProbe): NamespaceInfo {
  const info: NamespaceInfo = { created: new Set(), joined: new Map() };
  const seen = new Set<string>();
  arr(linux?.namespaces).forEach((raw, i) => {
    const ns = obj(raw);
    const type = str(ns?.type);
    const p = joinPath('linux.namespaces', i);
    if (!type || !(type in CLONE_FLAGS)) return;
    if (seen.has(type)) c.problem(joinPath(p, 'type'), `the ${type} namespace is listed twice`);
    seen.add(type);
    const nsType = type as NamespaceType;
    const nsPath = str(ns?.path);
    if (nsPath) {
      info.joined.set(nsType, nsPath);
      if (!host.exists(nsPath)) c.problem(joinPath(p, 'path'), `${nsPath} does not exist`);
    } else {
      info.created.add(nsType);
      if (!host.hasNamespaceType(PROC_NS_NAMES[nsType])) {
        c.problem(joinPath(p, 'type'), `this kernel has no ${type} namespaces (no /proc/self/ns/${PROC_NS_NAMES[nsType]})`);
      }
    }
  });
  return info;
}

function checkUserMappings(c: Checker, linux: Json | undefined, ns: NamespaceInfo): void {
  const uid = arr(linux?.uidMappings);
  const gid = arr(linux?.gidMappings);
  if (ns.created.has('user')) {
    if (uid.length === 0) c.problem('linux.uidMappings', 'is required when a new user namespace is created');
    if (gid.length === 0) c.problem('linux.gidMappings', 'is required when a new user namespace is created');
  } else if (uid.length > 0 || gid.length > 0) {
    c.problem(uid.length ? 'linux.uidMappings' : 'linux.gidMappings', 'needs a new user namespace: add {"type": "user"} to linux.namespaces');
  }
  if (obj(linux?.timeOffsets) && Object.keys(obj(linux?.timeOffsets) ?? {}).length && !ns.created.has('time')) {
    c.problem('linux.timeOffsets', 'needs a new time namespace: add {"type": "time"} to linux.namespaces');
  }
}

function checkProcess(c: Checker, config: Json, ctx: SemanticContext): void {
  const proc = obj(config.process);
  if (!proc) {
    if (config.process === undefined) c.problem('process', 'is required: runts needs a process to run');
    return;
  }
  const args = arr(proc.args);
  if (proc.args !== undefined && Array.isArray(proc.args) && args.length === 0) {
    c.problem('process.args', 'must have at least one entry (the program to run)');
  } else if (proc.args === undefined) {
    c.problem('process.args', 'is required on Linux: the program to run and its arguments');
  }
  const cwd = str(proc.cwd);
  if (cwd !== undefined && !cwd.startsWith('/')) c.problem('process.cwd', `must be an absolute path (got "${cwd}")`);
  arr(proc.env).forEach((e, i) => {
    if (typeof e === 'string' && !e.includes('=')) c.problem(joinPath('process.env', i), `must be "KEY=value" (got "${e}")`);
  });
  const terminal = proc.terminal === true;
  if (terminal && !ctx.terminalHandled) {
    c.problem('process.terminal', 'is true, so create needs --console-socket to hand the pty master to (or use `runts run` in a terminal)');
  }
  if (!terminal && ctx.consoleSocket) {
    c.problem('process.terminal', 'is false, but --console-socket was given: a console socket is only used with a terminal');
  }
  const seenRlimits = new Set<string>();
  arr(proc.rlimits).forEach((raw, i) => {
    const r = obj(raw);
    const type = str(r?.type);
    const p = joinPath('process.rlimits', i);
    if (!type) return;
    if (!(type in RLIMITS)) c.problem(joinPath(p, 'type'), `unknown rlimit "${type}" (known: ${Object.keys(RLIMITS).join(', ')})`);
    if (seenRlimits.has(type)) c.problem(joinPath(p, 'type'), `${type} is listed twice`);
    seenRlimits.add(type);
    if (typeof r?.soft === 'number' && typeof r?.hard === 'number' && r.soft > r.hard) {
      c.problem(p, `soft limit ${r.soft} is above the hard limit ${r.hard}`);
    }
  });
  const caps = obj(proc.capabilities);
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
    arr(caps?.[set]).forEach((name) => {
      if (typeof name === 'string' && capabilityNumber(name) === undefined) {
        c.warnings.push(`process.capabilities.${set}: unknown capability "${name}" is ignored`);
      }
    });
  }
  if (proc.scheduler !== undefined) c.unsupported('process.scheduler', 'process.scheduler');
  if (proc.ioPriority !== undefined) c.unsupported('process.ioPriority', 'process.ioPriority');
  if (proc.execCPUAffinity !== undefined) c.unsupported('process.execCPUAffinity', 'process.execCPUAffinity');
}

function checkRoot(c: Checker, config: Json, ctx: SemanticContext, ns: NamespaceInfo): void {
  const root = obj(config.root);
  if (!root) {
    if (config.root === undefined) c.problem('root', 'is required on Linux: the container\'s root filesystem');
    return;
  }
  const p = str(root.path);
  if (!p) return;
  if (ns.joined.has('mount')) return;
  const abs = path.resolve(ctx.bundle, p);
  const kind = ctx.host.kind(abs);
  if (kind === undefined) c.problem('root.path', `${abs} does not exist`);
  else if (kind !== 'dir') c.problem('root.path', `${abs} is not a directory`);
}

function checkMounts(c: Checker, config: Json, ctx: SemanticContext, ns: NamespaceInfo): void {
  const mounts = arr(config.mounts);
  if (mounts.length && ns.joined.has('mount')) {
    c.problem('mounts', 'cannot be set up in a joined mount namespace (linux.namespaces gives it a path)');
    return;
  }
  mounts.forEach((raw, i) => {
    const m = obj(raw);
    const p = joinPath('mounts', i);
    if (!m) return;
    const dest = str(m.destination);
    const type = str(m.type);
    const options = arr(m.options).filter((o): o is string => typeof o === 'string');
    if (dest !== undefined && !dest.startsWith('/')) {
      c.warnings.push(`${p}.destination "${dest}" is relative (deprecated): mounted at "/${dest}"`);
    }
    const absDest = dest ? path.posix.normalize(`/${dest}`) : undefined;
    if (absDest && absDest.startsWith('/proc/') && !PROC_MOUNT_ALLOWED.has(absDest)) {
      c.problem(joinPath(p, 'destination'), `${absDest} is inside /proc: mounting over procfs files is refused (only lxcfs-style files such as /proc/meminfo are allowed)`);
    }
    const parsed = parseMountOptions(options);
    for (const o of parsed.unsupported) c.unsupported(joinPath(p, 'options'), `the "${o}" mount option`);
    if (m.uidMappings !== undefined || m.gidMappings !== undefined) c.unsupported(p, 'an idmapped mount (uidMappings/gidMappings)');
    const bind = isBindMount(type, options);
    if (!bind && !type) c.problem(joinPath(p, 'type'), 'is required unless the mount is a bind mount (options "bind" or "rbind")');
    if (bind) {
      const source = str(m.source);
      if (!source) c.problem(joinPath(p, 'source'), 'is required for a bind mount');
      else {
        const abs = path.resolve(ctx.bundle, source);
        if (!ctx.host.exists(abs)) c.problem(joinPath(p, 'source'), `${abs} does not exist`);
      }
    }
  });
  if (!ns.created.has('mount') && !ns.joined.has('mount')) {
    c.problem('linux.namespaces', 'must include a mount namespace ({"type": "mount"}): runts sets up the root filesystem in one');
  }
}

function checkSysctls(c: Checker, linux: Json | undefined, ns: NamespaceInfo): void {
  const sysctl = obj(linux?.sysctl);
  for (const key of Object.keys(sysctl ?? {})) {
    const p = joinPath('linux.sysctl', key);
    const dotted = key.includes('/') ? key.replace(/\//g, '.') : key;
    const has = (t: NamespaceType) => ns.created.has(t) || ns.joined.has(t);
    if (IPC_SYSCTLS.has(dotted) || dotted.startsWith('fs.mqueue.')) {
      if (!has('ipc')) c.problem(p, 'belongs to the IPC namespace: add {"type": "ipc"} to linux.namespaces');
    } else if (dotted.startsWith('net.')) {
      if (!has('network')) c.problem(p, 'belongs to the network namespace: add {"type": "network"} to linux.namespaces');
    } else if (dotted === 'kernel.hostname' || dotted === 'kernel.domainname') {
      if (!has('uts')) c.problem(p, 'belongs to the UTS namespace: add {"type": "uts"} to linux.namespaces');
    } else {
      c.problem(p, 'is not in a namespace of the container: setting it would change the host');
    }
  }
}

function checkUnsupported(c: Checker, config: Json, linux: Json | undefined): void {
  const hooks = obj(config.hooks);
  for (const [name, list] of Object.entries(hooks ?? {})) {
    if (arr(list).length) c.unsupported(joinPath('hooks', name), `${name} hooks`);
  }
  if (linux?.seccomp !== undefined) c.unsupported('linux.seccomp', 'seccomp');
  if (linux?.personality !== undefined) c.unsupported('linux.personality', 'linux.personality');
  if (linux?.intelRdt !== undefined) c.unsupported('linux.intelRdt', 'Intel RDT');
  if (linux?.memoryPolicy !== undefined) c.unsupported('linux.memoryPolicy', 'linux.memoryPolicy');
  if (obj(linux?.netDevices) && Object.keys(obj(linux?.netDevices) ?? {}).length) c.unsupported('linux.netDevices', 'linux.netDevices');
  const resources = obj(linux?.resources);
  const set = Object.keys(resources ?? {}).filter((k) => resources?.[k] !== undefined && resources?.[k] !== null);
  if (set.length) {
    c.warnings.push(`linux.resources (${set.join(', ')}) are not applied: runts does not set cgroup limits yet`);
  }
}

export function semanticProblems(config: unknown, ctx: SemanticContext): SemanticResult {
  const c = new Checker();
  const root = obj(config);
  if (!root) return { problems: [{ path: '', message: 'config.json must be a JSON object' }], warnings: [] };
  const version = str(root.ociVersion);
  if (version !== undefined) {
    const why = checkOciVersion(version);
    if (why) c.problem('ociVersion', why);
  }
  const linux = obj(root.linux);
  const ns = checkNamespaces(c, linux, ctx.host);
  checkUserMappings(c, linux, ns);
  checkRoot(c, root, ctx, ns);
  checkProcess(c, root, ctx);
  checkMounts(c, root, ctx, ns);
  checkSysctls(c, linux, ns);
  for (const field of ['hostname', 'domainname'] as const) {
    if (str(root[field]) && !ns.created.has('uts') && !ns.joined.has('uts')) {
      c.problem(field, 'can only be set in a UTS namespace of the container: add {"type": "uts"} to linux.namespaces');
    }
  }
  const masked = [...arr(linux?.maskedPaths), ...arr(linux?.readonlyPaths)];
  if (masked.length && ns.joined.has('mount')) {
    c.problem('linux.maskedPaths', 'masked and read-only paths cannot be set up in a joined mount namespace');
  }
  checkUnsupported(c, root, linux);
  c.problems.push(...lsmProblems(root, ctx.host));
  return { problems: c.problems, warnings: c.warnings };
}
