// The device cgroup's rules: config.json -> an ordered rule list -> the
// state the kernel must end up in. Pure, so unit tests cover it without
// root; the v1 writer (devices-v1.ts) and the v2 eBPF emitter
// (devices-bpf.ts) both start from the state computed here, so the two
// hierarchies enforce exactly the same thing.
//
// Semantics follow runc 1.1 (libcontainer/specconv and the devices
// emulator), checked against runc's devices.list on the same bundles:
//   - the cgroup starts denying everything;
//   - linux.resources.devices is applied in order;
//   - then runc's default allow list (mknod of any node, null, zero, full,
//     random, urandom, tty, ptmx, pts, tun), minus the defaults whose path
//     linux.devices redefines. Coming last, these cannot be denied by the
//     config, as with runc;
//   - one difference, deliberate: a linux.devices node that no
//     linux.resources.devices rule names exactly (type, major, minor) gets
//     an "rwm" allow after the defaults. runc creates such a node and then
//     refuses every open of it; the runtime-spec says the listed devices
//     "MUST be available". Engines always send a rule for their devices, so
//     for them nothing changes.

import path from 'node:path';
import type { OciConfig } from '../config/types';

export type DeviceRuleType = 'a' | 'b' | 'c';

/** One cgroup device rule; major/minor -1 is the wildcard "*". */
export interface DeviceRule {
  allow: boolean;
  type: DeviceRuleType;
  major: number;
  minor: number;
  /** A subset of "rwm", written in that order. */
  access: string;
}

export const WILDCARD = -1;

/** Access bits as the kernel's BPF_DEVCG_ACC_* (include/uapi/linux/bpf.h). */
export const ACC = { m: 1, r: 2, w: 4 } as const;
export const ACC_ALL = ACC.m | ACC.r | ACC.w;

export function accessBits(access: string): number {
  let bits = 0;
  for (const ch of access) {
    if (ch === 'r' || ch === 'w' || ch === 'm') bits |= ACC[ch];
    else throw new Error(`invalid device access "${access}" (a combination of r, w and m)`);
  }
  return bits;
}

export function accessString(bits: number): string {
  return `${bits & ACC.r ? 'r' : ''}${bits & ACC.w ? 'w' : ''}${bits & ACC.m ? 'm' : ''}`;
}

/** runc's specconv.AllowedDevices (1.1.x), in its order; `path` is the node it creates. */
export const DEFAULT_DEVICE_RULES: readonly (DeviceRule & { path?: string })[] = [
  { allow: true, type: 'c', major: WILDCARD, minor: WILDCARD, access: 'm' },
  { allow: true, type: 'b', major: WILDCARD, minor: WILDCARD, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm', path: '/dev/null' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm', path: '/dev/random' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm', path: '/dev/full' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm', path: '/dev/tty' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm', path: '/dev/zero' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm', path: '/dev/urandom' },
  // /dev/pts/*, /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: WILDCARD, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  // /dev/net/tun (runc 1.1 has it; 1.0 and 1.2 do not)
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

/** Where a rule came from, so that a problem can name the config entry. */
export interface SourcedRule {
  rule: DeviceRule;
  /** JSON path of the config entry, or a description of a built-in rule. */
  origin: string;
}

const ruleName = (r: DeviceRule) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`;

/** The rule as devices.allow/devices.deny take it: "c 1:3 rwm", "a *:* rwm". */
export function ruleString(r: DeviceRule): string {
  const n = (v: number) => (v === WILDCARD ? '*' : String(v));
  if (r.type === 'a') return 'a *:* rwm';
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/**
 * The rules in the order they apply (config, defaults, linux.devices nodes).
 * Assumes a config that passed the schema and deviceConfigProblems.
 */
export function deviceRulesFor(config: OciConfig): SourcedRule[] {
  const out: SourcedRule[] = [];
  const configRules = (config.linux?.resources?.devices ?? []) as ConfigDeviceRule[];
  configRules.forEach((d, i) => {
    out.push({ rule: fromConfig(d), origin: `linux.resources.devices[${i}]` });
  });
  const nodes = config.linux?.devices ?? [];
  const nodePaths = new Set(nodes.map((d) => path.posix.normalize(d.path)));
  for (const d of DEFAULT_DEVICE_RULES) {
    if (d.path && nodePaths.has(d.path)) continue;
    const { path: _p, ...rule } = d;
    out.push({ rule, origin: `the default rule ${ruleName(rule)}` });
  }
  const named = (type: DeviceRuleType, major: number, minor: number) =>
    out.some((s, i) => i < configRules.length && s.rule.type === type && s.rule.major === major && s.rule.minor === minor);
  nodes.forEach((d, i) => {
    if (d.type === 'p') return;
    const type: DeviceRuleType = d.type === 'b' ? 'b' : 'c';
    const major = d.major ?? 0;
    const minor = d.minor ?? 0;
    if (named(type, major, minor)) return;
    out.push({ rule: { allow: true, type, major, minor, access: 'rwm' }, origin: `linux.devices[${i}] (${d.path})` });
  });
  return out;
}

/** linux.resources.devices[] as config.json has it. */
export interface ConfigDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

function fromConfig(d: ConfigDeviceRule): DeviceRule {
  const type = (d.type ?? 'a') as DeviceRuleType;
  return {
    allow: d.allow,
    type,
    major: d.major ?? WILDCARD,
    minor: d.minor ?? WILDCARD,
    access: accessString(accessBits(d.access ?? '')),
  };
}

// ---------------------------------------------------------------------------
// The emulator: what the kernel's v1 devices controller does with a sequence
// of writes, plus runc's refusal to "punch a hole" in a wildcard rule (which
// v1 silently ignores, leaving the user believing a device is denied).

export interface DeviceException {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** ACC bits. */
  access: number;
}

export interface DeviceCgroupState {
  /** true: everything is allowed but the exceptions (v1 "blacklist"). */
  defaultAllow: boolean;
  /** Keyed by "type major minor". */
  exceptions: Map<string, DeviceException>;
}

const key = (type: string, major: number, minor: number) => `${type} ${major} ${minor}`;

export function emptyState(defaultAllow = false): DeviceCgroupState {
  return { defaultAllow, exceptions: new Map() };
}

function addException(s: DeviceCgroupState, r: DeviceRule): void {
  const k = key(r.type, r.major, r.minor);
  const old = s.exceptions.get(k);
  s.exceptions.set(k, { type: r.type as 'b' | 'c', major: r.major, minor: r.minor, access: (old?.access ?? 0) | accessBits(r.access) });
}

function removeException(s: DeviceCgroupState, r: DeviceRule): void {
  const bits = accessBits(r.access);
  const partial = [
    [WILDCARD, r.minor],
    [r.major, WILDCARD],
    [WILDCARD, WILDCARD],
  ] as const;
  for (const [major, minor] of partial) {
    if (major === r.major && minor === r.minor) continue;
    const wide = s.exceptions.get(key(r.type, major, minor));
    if (wide && (wide.access & bits) !== 0) {
      throw new Error(
        `${ruleName(r)} cannot be enforced: it would punch a hole in the wider rule ${r.type} ${major === WILDCARD ? '*' : major}:${minor === WILDCARD ? '*' : minor} ${accessString(wide.access)} (the devices cgroup only removes exact matches)`,
      );
    }
  }
  const k = key(r.type, r.major, r.minor);
  const old = s.exceptions.get(k);
  if (!old) return;
  const left = old.access & ~bits;
  if (left === 0) s.exceptions.delete(k);
  else s.exceptions.set(k, { ...old, access: left });
}

/** Applies one rule in place; throws when runc would refuse it. */
export function applyRule(s: DeviceCgroupState, r: DeviceRule): void {
  if (r.type === 'a') {
    s.defaultAllow = r.allow;
    s.exceptions.clear();
    return;
  }
  // An allow in allow-all mode removes a deny exception, and vice versa.
  if (r.allow === s.defaultAllow) removeException(s, r);
  else addException(s, r);
}

export interface DeviceRulesResult {
  state: DeviceCgroupState;
  problems: { path: string; message: string }[];
}

/** Runs the rules through the emulator, collecting the ones it refuses. */
export function emulate(rules: readonly SourcedRule[]): DeviceRulesResult {
  const state = emptyState(false);
  const problems: DeviceRulesResult['problems'] = [];
  for (const { rule, origin } of rules) {
    try {
      applyRule(state, rule);
    } catch (e) {
      const p = origin.startsWith('linux.') ? origin.replace(/ \(.*$/, '') : 'linux.resources.devices';
      problems.push({ path: p, message: origin.startsWith('linux.') ? (e as Error).message : `${(e as Error).message}, when ${origin} is applied after the config's rules` });
    }
  }
  return { state, problems };
}

/** Sorted as runc sorts them: major, minor (wildcard first), then type. */
function ordered(s: DeviceCgroupState): DeviceException[] {
  return [...s.exceptions.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/**
 * The shortest rule list that produces `state` from a fresh cgroup: the
 * mode ("a" rule, only for allow-all) then the exceptions, sorted. The eBPF
 * program is emitted from this list.
 */
export function cleanRules(s: DeviceCgroupState): DeviceRule[] {
  const out: DeviceRule[] = [];
  if (s.defaultAllow) out.push({ allow: true, type: 'a', major: WILDCARD, minor: WILDCARD, access: 'rwm' });
  for (const e of ordered(s)) {
    out.push({ allow: !s.defaultAllow, type: e.type, major: e.major, minor: e.minor, access: accessString(e.access) });
  }
  return out;
}

/** The state a clean rule list describes. */
export function stateOf(rules: readonly DeviceRule[]): DeviceCgroupState {
  const s = emptyState(false);
  for (const r of rules) applyRule(s, r);
  return s;
}

/**
 * The writes that take a v1 cgroup from `source` to `target` (runc's
 * Emulator.Transition): a disruptive "a" only when the mode differs or the
 * source is allow-all (whose deny list devices.list does not show), then the
 * exceptions to drop, then those to add.
 */
export function transition(source: DeviceCgroupState, target: DeviceCgroupState): DeviceRule[] {
  const out: DeviceRule[] = [];
  let old = source.exceptions;
  if (source.defaultAllow || source.defaultAllow !== target.defaultAllow) {
    out.push({ allow: target.defaultAllow, type: 'a', major: WILDCARD, minor: WILDCARD, access: 'rwm' });
    old = new Map();
  }
  for (const e of ordered({ defaultAllow: source.defaultAllow, exceptions: old })) {
    const dropped = e.access & ~(target.exceptions.get(key(e.type, e.major, e.minor))?.access ?? 0);
    if (dropped) out.push({ allow: target.defaultAllow, type: e.type, major: e.major, minor: e.minor, access: accessString(dropped) });
  }
  for (const e of ordered(target)) {
    const gained = e.access & ~(old.get(key(e.type, e.major, e.minor))?.access ?? 0);
    if (gained) out.push({ allow: !target.defaultAllow, type: e.type, major: e.major, minor: e.minor, access: accessString(gained) });
  }
  return out;
}

/** Reads devices.list (v1): "a *:* rwm" means allow-all, otherwise an allow list. */
export function parseDevicesList(text: string): DeviceCgroupState {
  const s = emptyState(false);
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const m = /^([abc]) (\d+|\*):(\d+|\*) ([rwm]+)$/.exec(t);
    if (!m) throw new Error(`devices.list: cannot read the line "${t}"`);
    const num = (v: string) => (v === '*' ? WILDCARD : Number(v));
    applyRule(s, { allow: true, type: m[1] as DeviceRuleType, major: num(m[2]!), minor: num(m[3]!), access: m[4]! });
  }
  return s;
}

export function sameState(a: DeviceCgroupState, b: DeviceCgroupState): boolean {
  if (a.defaultAllow !== b.defaultAllow || a.exceptions.size !== b.exceptions.size) return false;
  for (const [k, e] of a.exceptions) if (b.exceptions.get(k)?.access !== e.access) return false;
  return true;
}

/**
 * Whether the kernel lets a process open/mknod a device (the v1 controller's
 * own checks, match_exception and match_exception_partial): with an allow
 * list, one exception must cover every requested access; with allow-all, any
 * exception touching one of them denies.
 */
export function isAllowed(s: DeviceCgroupState, type: 'b' | 'c', major: number, minor: number, access: number): boolean {
  const matches = (e: DeviceException) =>
    e.type === type && (e.major === WILDCARD || e.major === major) && (e.minor === WILDCARD || e.minor === minor);
  if (!s.defaultAllow) {
    for (const e of s.exceptions.values()) if (matches(e) && (access & ~e.access) === 0) return true;
    return false;
  }
  for (const e of s.exceptions.values()) if (matches(e) && (access & e.access) !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Config checks the schema cannot express (run by src/config/semantic.ts, so
// they are reported with every other problem, before any system call).

const U32_MAX = 0xffffffff;

export function deviceConfigProblems(config: unknown): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const linux = (config as { linux?: { resources?: { devices?: unknown }; devices?: unknown } } | null)?.linux;
  const list = linux?.resources?.devices;
  if (!Array.isArray(list)) return problems;
  let wellFormed = true;
  list.forEach((raw, i) => {
    const p = `linux.resources.devices[${i}]`;
    if (raw === null || typeof raw !== 'object') {
      wellFormed = false;
      return;
    }
    const d = raw as Record<string, unknown>;
    if (typeof d.allow !== 'boolean') wellFormed = false;
    if (d.type !== undefined && !['a', 'b', 'c'].includes(d.type as string)) wellFormed = false;
    if (typeof d.access !== 'string' || d.access === '') {
      problems.push({ path: `${p}.access`, message: 'is required: a combination of r (read), w (write) and m (mknod)' });
      wellFormed = false;
    } else if (!/^[rwm]+$/.test(d.access)) wellFormed = false;
    for (const f of ['major', 'minor'] as const) {
      const v = d[f];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        wellFormed = false;
        continue;
      }
      if (v !== WILDCARD && (v < 0 || v > U32_MAX)) {
        problems.push({ path: `${p}.${f}`, message: `must be a device number from 0 to ${U32_MAX}, or omitted (or -1) for any (got ${v})` });
        wellFormed = false;
      }
    }
  });
  const nodes = linux?.devices;
  if (wellFormed && (nodes === undefined || Array.isArray(nodes))) {
    const nodesOk = ((nodes ?? []) as unknown[]).every(
      (n) => n !== null && typeof n === 'object' && typeof (n as { path?: unknown }).path === 'string' && typeof (n as { type?: unknown }).type === 'string',
    );
    if (nodesOk) problems.push(...emulate(deviceRulesFor(config as OciConfig)).problems);
  }
  return problems;
}

/** config -> the clean rule list the cgroup driver applies (plan time). */
export function planDeviceRules(config: OciConfig): DeviceRule[] {
  const { state, problems } = emulate(deviceRulesFor(config));
  if (problems.length) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return cleanRules(state);
}
