// The checks the JSON schema cannot express: what the spec requires of
// combinations of fields, what this host can do, and what runts does not
// implement yet. Each problem carries its JSON path. The checks read the
// config defensively, so they run (and report) even where the schema found
// other problems: a user sees every problem in one go.
import path from 'node:path';
import type { ConfigProblem } from '../errors';
import { PROC_SUPER_MAGIC, type HostProbe } from '../plan/host';
import { isBindMount, parseMountOptions } from '../plan/mount-options';
import { CLONE_FLAGS, PROC_NS_NAMES } from '../plan/namespaces';
import { RLIMITS } from '../plan/rlimits';
import { capabilityNumber } from '../plan/capabilities';
import { PROC_MOUNT_ALLOWED } from '../plan/proc-mounts';
import { isSysctlKeyError, parseSysctlKey, sysctlNamespace } from '../plan/sysctl';
import { deviceConfigProblems } from '../cgroups/devices';
import type { NamespaceType } from './types';
import { joinPath } from './json-path';
import { lsmProblems } from './lsm';
import { checkOciVersion } from './version';
import { hostileProblems } from './hostile';
import { hasOwn } from '../lookup';
import { seccompProblems } from '../seccomp/profile';
import { checkProcessFields } from './process-fields';
import { hookProblems } from '../hooks/plan';

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
    if (!type || !hasOwn(CLONE_FLAGS, type)) return;
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
    if (!hasOwn(RLIMITS, type)) c.problem(joinPath(p, 'type'), `unknown rlimit "${type}" (known: ${Object.keys(RLIMITS).join(', ')})`);
    if (seenRlimits.has(type)) c.problem(joinPath(p, 'type'), `${type} is listed twice`);
    seenRlimits.add(type);
    if (typeof r?.soft === 'number' && typeof r?.hard === 'number' && r.soft > r.hard) {
      c.problem(p, `soft limit ${r.soft} is above the hard limit ${r.hard}`);
    }
  });
  const caps = obj(proc.capabilities);
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
    arr(caps?.[set]).forEach((name, i) => {
      // config.md: a value that cannot be mapped to a kernel interface MUST
      // be logged as a warning and SHOULD NOT fail the container (runc and
      // crun agree), so an unknown name is a warning with its JSON path.
      if (typeof name === 'string' && capabilityNumber(name) === undefined) {
        c.warnings.push(`${joinPath(`process.capabilities.${set}`, i)}: unknown capability ${JSON.stringify(name)} is ignored`);
      }
    });
  }
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
  else if (ctx.host.realpath(abs) === '/') {
    c.problem('root.path', `${abs} is the host's / : a container cannot have the host's root filesystem as its own; use a directory that holds the container's files`);
  }
}

// Only procfs may be mounted on /proc (CVE-2019-16884: a fake /proc makes
// the runtime's writes to /proc/self/attr and /proc/sys land elsewhere).
function checkProcMount(c: Checker, p: string, m: Json, ctx: SemanticContext): void {
  const type = str(m.type);
  const options = arr(m.options).filter((o): o is string => typeof o === 'string');
  if (isBindMount(type, options)) {
    const source = str(m.source);
    if (source && ctx.host.filesystemType(path.resolve(ctx.bundle, source)) !== PROC_SUPER_MAGIC) {
      c.problem(joinPath(p, 'source'), `only procfs can be mounted on /proc, and ${path.resolve(ctx.bundle, source)} is not procfs`);
    }
  } else if (type !== undefined && type !== 'proc') {
    c.problem(joinPath(p, 'type'), `only procfs can be mounted on /proc (got type "${type}")`);
  }
}

function checkMounts(c: Checker, config: Json, ctx: SemanticContext, ns: NamespaceInfo): void {
  const mounts = arr(config.mounts);
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
    if (absDest === '/proc') checkProcMount(c, p, m, ctx);
    const parsed = parseMountOptions(options);
    for (const o of parsed.unsupported) c.unsupported(joinPath(p, 'options'), `the "${o}" mount option`);
    if (m.uidMappings !== undefined || m.gidMappings !== undefined) c.unsupported(p, 'an idmapped mount (uidMappings/gidMappings)');
    const bind = isBindMount(type, options);
    // runc and crun act on it for a tmpfs only; elsewhere it would be ignored.
    if (parsed.copyUp && (bind || type !== 'tmpfs')) c.problem(joinPath(p, 'options'), `"tmpcopyup" applies to tmpfs mounts only (this mount's type is ${bind ? 'bind' : `"${type ?? ''}"`})`);
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

function checkSysctls(c: Checker, config: Json, linux: Json | undefined, ns: NamespaceInfo, host: HostProbe): void {
  const sysctl = obj(linux?.sysctl);
  const procMounted = arr(config.mounts).some((raw) => {
    const m = obj(raw);
    const dest = str(m?.destination);
    return dest !== undefined && path.posix.normalize(`/${dest}`) === '/proc';
  });
  if (Object.keys(sysctl ?? {}).length && ns.created.has('mount') && !procMounted) {
    c.problem('linux.sysctl', 'needs procfs mounted on /proc in the container (add a "proc" mount): sysctls are written through the container\'s own /proc/sys');
  }
  for (const [rawKey, value] of Object.entries(sysctl ?? {})) {
    const p = joinPath('linux.sysctl', rawKey);
    const key = parseSysctlKey(rawKey);
    if (isSysctlKeyError(key)) {
      c.problem(p, key.error);
      continue;
    }
    const owner = sysctlNamespace(key);
    if ('refused' in owner) {
      c.problem(p, owner.refused);
      continue;
    }
    const names = { ipc: 'IPC', network: 'network', uts: 'UTS' } as const;
    const nsType: NamespaceType = owner.ns;
    if (!ns.created.has(nsType) && !ns.joined.has(nsType)) {
      c.problem(p, `belongs to the ${names[owner.ns]} namespace: add {"type": "${owner.ns}"} to linux.namespaces`);
      continue;
    }
    // A namespace joined by path may be the host's own: writing there would
    // change the host (runc refuses net.* sysctls in the host's netns).
    const joined = ns.joined.get(nsType);
    if (joined && host.isOwnNamespace(joined, PROC_NS_NAMES[nsType])) {
      c.problem(p, `belongs to the ${names[owner.ns]} namespace, and ${joined} is the host's own: setting it would change the host`);
      continue;
    }
    const domainname = str(config.domainname);
    if (key.name === 'kernel.domainname' && domainname && domainname !== value) {
      c.problem(p, `conflicts with "domainname" (${JSON.stringify(domainname)}): set one of them`);
    }
  }
}

function checkUnsupported(c: Checker, config: Json, linux: Json | undefined): void {
  for (const q of hookProblems(config.hooks)) c.problem(q.path, q.message);
  if (obj(linux?.netDevices) && Object.keys(obj(linux?.netDevices) ?? {}).length) c.unsupported('linux.netDevices', 'linux.netDevices');
  // linux.resources: the device rules are checked below (deviceConfigProblems),
  // the limits by src/config/resources.ts, which needs the host's cgroups.
}

export function semanticProblems(config: unknown, ctx: SemanticContext): SemanticResult {
  const c = new Checker();
  const root = obj(config);
  if (!root) return { problems: [{ path: '', message: 'config.json must be a JSON object' }], warnings: [] };
  const hostile = hostileProblems(config);
  if (hostile.tooDeep) return { problems: hostile.problems, warnings: [] };
  c.problems.push(...hostile.problems);
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
  checkSysctls(c, root, linux, ns, ctx.host);
  for (const field of ['hostname', 'domainname'] as const) {
    if (str(root[field]) && !ns.created.has('uts') && !ns.joined.has('uts')) {
      c.problem(field, 'can only be set in a UTS namespace of the container: add {"type": "uts"} to linux.namespaces');
    }
  }
  checkUnsupported(c, root, linux);
  c.problems.push(...lsmProblems(root, ctx.host));
  if (linux?.seccomp !== undefined) {
    const s = seccompProblems(linux.seccomp, ctx.host.seccompHost?.() ?? {});
    c.problems.push(...s.problems);
    c.warnings.push(...s.warnings);
  }
  for (const p of deviceConfigProblems(root)) c.problem(p.path, p.message);
  // personality, ioPriority, scheduler, memoryPolicy, execCPUAffinity, intelRdt.
  checkProcessFields((p, m) => c.problem(p, m), root, ctx.host);
  return { problems: c.problems, warnings: c.warnings };
}
