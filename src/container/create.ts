// create: validate everything, then claim the state directory, create the
// cgroups, launch runts-init and record the container. Any failure undoes
// what was done, so a failed create leaves no state, cgroup, mount or
// process; and a create killed at any point leaves a record from which
// `delete --force` removes everything.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { createCgroups, grantRealtimeBudget, removeCgroups, type CreatedCgroup } from '../cgroups/create';
import { applyDeviceCgroup, inNestedUserNamespace } from '../cgroups/device-cgroup';
import type { DeviceRule } from '../cgroups/devices';
import { hostLayout, type CgroupLayout } from '../cgroups/layout';
import { cgroupsPathOf, placeContainer, type CgroupPlacement } from '../cgroups/placement';
import type { LinuxResources } from '../cgroups/resources';
import { applyResourcePlan, resourceProbe, resourceTarget } from '../cgroups/resources-apply';
import { planResources } from '../cgroups/resources-plan';
import { enableSubtreeControllers } from '../cgroups/subtree';
import { realResourceHost, resourceProblems } from '../config/resources';
import { parseConfigText, readConfigFile, requireConfigObject } from '../config/load';
import { FileReadError, readBoundedFile } from '../read-bounded';
import { semanticProblems } from '../config/semantic';
import type { ContainerState, OciConfig } from '../config/types';
import { schemaProblems } from '../config/validate';
import { ConfigError, fromNative, RuntsError, type ConfigProblem } from '../errors';
import { Logger } from '../log';
import { createStageHandler, poststopAfterFailedCreate } from '../hooks/lifecycle';
import { hookStateBase, launchTimeoutMs, resolveHooks, startReported, verbsNeedingNode, type ResolvedHooks } from '../hooks/plan';
import { START_FIFO, writeHookRecord } from '../hooks/record';
import { initPath, native, type LaunchResult } from '../native/binding';
import { buildPlan } from '../plan/build';
import { capabilityName } from '../plan/capabilities';
import { realHost, type HostProbe } from '../plan/host';
import type { LaunchPlan } from '../plan/types';
import { execRecordOf, writeExecRecord } from '../plan/exec-record';
import { nativeSeccompCompiler } from '../seccomp/native';
import { SPEC_VERSION } from '../config/version';
import type { CgroupList, StateRecord } from '../state/record';
import { checkContainerId, claimStateDir, DEFAULT_ROOT, removeStateDir, writeCgroupList, writePidFile, writeRecord } from '../state/store';

export interface CreateOptions {
  id: string;
  /** The bundle directory (config.json and, usually, rootfs/). Default: the current directory. */
  bundle?: string;
  /** A config to use instead of <bundle>/config.json; it is validated just the same. */
  config?: OciConfig;
  /** A config file other than <bundle>/config.json (crun's --config), relative to the bundle. */
  configFile?: string;
  /** "disabled" (crun's --cgroup-manager disabled): no cgroups at all; linux.resources is ignored, with a warning. */
  cgroupManager?: 'cgroupfs' | 'disabled';
  /** State directory root (--root). Default /run/runts. */
  root?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  logger?: Logger;
  /** Overrides for tests. */
  host?: HostProbe;
  forceSafeWalk?: boolean;
}

/** What `run` needs beyond create: the pty master when it attaches the terminal itself. */
export interface CreateInternals {
  attachTerminal?: boolean;
}

export interface CreatedContainer {
  state: ContainerState;
  /** The pty master, when create was asked to attach the terminal. */
  consoleFd?: number;
}

export interface Prepared {
  config: OciConfig;
  bundle: string;
  file: string;
  plan: LaunchPlan;
  uidMap: string;
  gidMap: string;
  placement: CgroupPlacement;
  seccompListenerPath?: string;
  seccompListenerMetadata?: string;
  deviceRules: DeviceRule[];
  /** linux.resources' limits, checked against this host's cgroups. */
  resources: LinuxResources;
  /** --cgroup-manager disabled. */
  noCgroups?: boolean;
  hooks: ResolvedHooks;
}

/** A config file named with --config (crun's); read as config.json is: a regular file of bounded size. */
function readConfigAt(file: string): { config: unknown; file: string } {
  let text: string;
  try {
    text = readBoundedFile(file);
  } catch (e) {
    if (e instanceof FileReadError && e.errnoName === 'ENOENT') throw new RuntsError(`no config file ${file} (given with --config)`, { code: 'EBADCONFIG' });
    throw e;
  }
  return { config: parseConfigText(text, file), file };
}

/** Validation and planning: no system call that changes anything happens here. */
export function prepare(opts: CreateOptions, internals: CreateInternals, logger: Logger): Prepared {
  checkContainerId(opts.id);
  const bundle = path.resolve(opts.bundle ?? '.');
  const host = opts.host ?? realHost;
  let config: unknown;
  let file = 'config';
  if (opts.config) config = opts.config;
  else if (opts.configFile) ({ config, file } = readConfigAt(path.resolve(bundle, opts.configFile)));
  else ({ config, file } = readConfigFile(bundle));
  requireConfigObject(config, file);
  const problems: ConfigProblem[] = schemaProblems(config);
  const semantic = semanticProblems(config, {
    bundle,
    host,
    terminalHandled: Boolean(opts.consoleSocket) || Boolean(internals.attachTerminal),
    consoleSocket: Boolean(opts.consoleSocket),
  });
  // The schema already names an unknown seccomp action or operator at the
  // same path: say it once.
  const schemaPaths = new Set(problems.map((q) => q.path));
  problems.push(...semantic.problems.filter((q) => !(q.path.startsWith('linux.seccomp') && schemaPaths.has(q.path))));
  const typed = config as OciConfig;
  const noCgroups = opts.cgroupManager === 'disabled';
  const layout: CgroupLayout = noCgroups ? { mode: 'none', hierarchies: [] } : hostLayout();
  let placement: CgroupPlacement | undefined;
  try {
    placement = placeContainer(layout, cgroupsPathOf(config), opts.id);
  } catch (e) {
    problems.push({ path: 'linux.cgroupsPath', message: (e as Error).message });
  }
  const linux = (config as { linux?: { resources?: unknown } }).linux;
  let given = linux !== null && typeof linux === 'object' ? linux.resources : undefined;
  if (noCgroups && given !== undefined) {
    // As crun: without cgroups there is nowhere to put a limit.
    logger.warn('linux.resources is ignored: with --cgroup-manager disabled the container has no cgroup (no limits, no device cgroup)');
    given = undefined;
  }
  const resources = resourceProblems(given, 'linux.resources', realResourceHost(layout), {
    types: false,
  });
  const schemaFlagged = new Set(problems.map((q) => q.path));
  problems.push(...resources.problems.filter((q) => !schemaFlagged.has(q.path)));
  if (problems.length || !placement) throw new ConfigError(file, problems);
  for (const w of [...semantic.warnings, ...resources.warnings]) logger.warn(w);
  const { plan, extras } = buildPlan(typed, {
    id: opts.id,
    bundle,
    host,
    cgroups: placement,
    noPivot: opts.noPivot,
    noNewKeyring: opts.noNewKeyring,
    preserveFds: opts.preserveFds,
    env: process.env,
    forceSafeWalk: opts.forceSafeWalk,
    compileSeccomp: typed.linux?.seccomp ? nativeSeccompCompiler((line) => logger.debug(line)) : undefined,
  });
  logger.debug(`launch plan: ${JSON.stringify(plan)}`);
  return {
    config: typed,
    bundle,
    file,
    plan,
    uidMap: extras.uidMap,
    gidMap: extras.gidMap,
    placement,
    noCgroups,
    deviceRules: extras.deviceRules,
    resources: resources.resources,
    hooks: resolveHooks(typed, process.env),
    seccompListenerPath: extras.seccompListenerPath,
    seccompListenerMetadata: extras.seccompListenerMetadata,
  };
}

function baseRecord(p: Prepared, id: string, cgroups: CreatedCgroup[]): StateRecord {
  const creatorStartTime = native().procStartTime(process.pid) ?? '0';
  return {
    ociVersion: p.config.ociVersion,
    id,
    status: 'creating',
    pid: 0,
    bundle: p.bundle,
    rootfs: p.plan.rootfs?.path ?? '',
    created: new Date().toISOString(),
    owner: '',
    ...(p.config.annotations && Object.keys(p.config.annotations).length ? { annotations: p.config.annotations } : {}),
    runts: {
      version: 1,
      creatorPid: process.pid,
      creatorStartTime,
      cgroups,
      procsFile: p.placement.procsFile,
      freezerFile: p.placement.freezerFile,
      needsNodeFor: verbsNeedingNode(p.hooks),
    },
  };
}

/**
 * What the seccomp agent receives with the listener fd (runtime-spec
 * "seccomp state"); the addon fills in both pids once the container
 * process exists.
 */
function seccompState(p: Prepared, id: string): string | undefined {
  if (!p.seccompListenerPath) return undefined;
  const annotations = p.config.annotations && Object.keys(p.config.annotations).length ? { annotations: p.config.annotations } : {};
  return JSON.stringify({
    ociVersion: SPEC_VERSION,
    fds: ['seccompFd'],
    pid: 0,
    metadata: p.seccompListenerMetadata ?? '',
    state: { ociVersion: p.config.ociVersion, id, status: 'creating', pid: 0, bundle: p.bundle, ...annotations },
  });
}

function capNames(list: string): string {
  return list.split(',').filter(Boolean).map((n) => capabilityName(Number(n))).join(', ');
}

/**
 * The integration tests stop a create at a named step (RUNTS_TEST_STOP_AT)
 * and kill it there, to check that `delete --force` removes whatever a
 * create killed at that step left.
 */
function testPoint(step: string): void {
  if (process.env.RUNTS_TEST_STOP_AT === step) process.kill(process.pid, 'SIGSTOP');
}

function warnUnavailableCaps(launched: LaunchResult, logger: Logger): void {
  if (launched.capsUnavailable) {
    logger.warn(
      `capabilities ${capNames(launched.capsUnavailable)} cannot be granted on this host (they are not in runts' own bounding set); the container runs without them`,
    );
  }
  if (launched.ambientRefused) {
    logger.warn(
      `ambient capabilities ${capNames(launched.ambientRefused)} were not raised: an ambient capability must also be in process.capabilities.permitted and .inheritable`,
    );
  }
}

/**
 * Milliseconds since a process.hrtime.bigint() reading, for --debug lines.
 * Not performance.now(): the performance global loads perf_hooks and its
 * modules, ~2.5 ms of CPU at every create.
 */
function msSince(started: bigint): string {
  return (Number(process.hrtime.bigint() - started) / 1e6).toFixed(2);
}

/**
 * The device cgroup, before the init is moved into the cgroups: nothing of
 * the container ever runs without it.
 */
function applyDevices(p: Prepared, logger: Logger): void {
  if (p.noCgroups) return; // --cgroup-manager disabled: no device cgroup either, as crun
  if (inNestedUserNamespace()) {
    logger.warn('runts runs in a user namespace: the device cgroup is left as the outer one set it');
    return;
  }
  const started = process.hrtime.bigint();
  const applied = applyDeviceCgroup(p.placement, p.deviceRules, { bpf: native() });
  const ms = msSince(started);
  const what = applied.kind === 'v1' ? `${applied.writes} writes` : `eBPF program of ${applied.writes} instructions`;
  logger.debug(`device cgroup ${applied.kind} ${applied.dir}: ${p.deviceRules.length} rules, ${what}, ${ms} ms`);
}

/**
 * The limits, after the device cgroup and before the init is moved into the
 * cgroups: the container never runs a moment without them.
 */
function applyResources(p: Prepared, logger: Logger): void {
  const started = process.hrtime.bigint();
  const target = resourceTarget(p.placement);
  const probe = resourceProbe(target);
  const plan = planResources(p.resources, target.version, { base: 'linux.resources', probe });
  // Under runts' default parent (no linux.cgroupsPath) a real-time runtime needs the parent's budget first.
  const cpuV1 = p.placement.dirs.find((d) => d.version === 1 && d.hierarchy.split(',').includes('cpu'));
  const rt = p.resources.cpu;
  if (cpuV1 && rt?.realtimeRuntime && !cgroupsPathOf(p.config)) grantRealtimeBudget(cpuV1.dir, cpuV1.mountPoint, rt.realtimeRuntime, rt.realtimePeriod);
  const applied = applyResourcePlan(plan, target);
  for (const w of applied.warnings) logger.warn(w);
  if (applied.written.length) {
    logger.debug(`resources v${target.version}: ${applied.written.join(', ')} (${msSince(started)} ms)`);
  }
}

/** hooks.json: what `start` and `delete` (on the Node path) run, fixed at create time. */
function writeHooks(dir: string, p: Prepared, id: string): void {
  writeHookRecord(dir, {
    version: 1,
    state: hookStateBase(p.config, id, p.bundle),
    startReport: startReported(p.hooks),
    poststart: p.hooks.poststart,
    poststop: p.hooks.poststop,
  });
}

/** The cgroup part of the record, for <dir>/cgroups.json. */
function cgroupListOf(record: StateRecord): CgroupList {
  return { version: 1, id: record.id, cgroups: record.runts.cgroups };
}

/**
 * The cgroup list first, then state.json: whichever of the two a crash or an
 * attacker damages, delete --force still learns where the cgroups are.
 */
function writeRecords(dir: string, record: StateRecord): void {
  writeCgroupList(dir, cgroupListOf(record));
  writeRecord(dir, record);
}

function toPublicState(record: StateRecord, status: ContainerState['status']): ContainerState {
  const { runts: _private, ...rest } = record;
  return { ...rest, status };
}

export async function createContainer(opts: CreateOptions, internals: CreateInternals = {}): Promise<CreatedContainer> {
  const logger = opts.logger ?? Logger.silent();
  const root = opts.root ?? DEFAULT_ROOT;
  const p = prepare(opts, internals, logger);
  const { dir, lockFd } = claimStateDir(root, opts.id);
  testPoint('claimed');
  const predicted = p.placement.dirs.map((d) => ({ path: d.dir, created: !existsSync(d.dir) }));
  let cgroups: CreatedCgroup[] = [];
  let launched: LaunchResult | undefined;
  // The init reached the createRuntime stop: the container existed, so a
  // failure from here on runs the poststop hooks after the clean-up.
  let stageReached = false;
  try {
    const record = baseRecord(p, opts.id, predicted);
    // Before any cgroup exists, both say where they will be.
    writeRecords(dir, record);
    if (record.runts.needsNodeFor.length) writeHooks(dir, p, opts.id);
    // What `runts exec` needs later, from this very validated config.
    writeExecRecord(dir, execRecordOf(p.config, p.plan, p, p.bundle));
    testPoint('recorded');
    cgroups = createCgroups(p.placement);
    // cgroup.kill (Linux 5.14+) appears with the container's cgroup.
    const killFile = p.placement.killFile && existsSync(p.placement.killFile) ? p.placement.killFile : undefined;
    // Only a raced directory changes the list (it is not runts' to remove).
    const raced = cgroups.some((c, i) => c.created !== predicted[i]?.created);
    if (killFile || raced) {
      record.runts.cgroups = cgroups;
      record.runts.killFile = killFile;
      if (raced) writeCgroupList(dir, cgroupListOf(record));
      writeRecord(dir, record);
    }
    // cgroup v2: the controllers delegated down to the container's cgroup.
    const subtree = enableSubtreeControllers(p.placement);
    if (subtree.enabled.length) logger.debug(`cgroup.subtree_control: ${subtree.enabled.join('; ')}`);
    if (subtree.refused.length) logger.debug(`cgroup.subtree_control refused: ${subtree.refused.join('; ')}`);
    testPoint('cgroups');
    applyDevices(p, logger);
    testPoint('devices');
    applyResources(p, logger);
    testPoint('resources');
    try {
      launched = native().launch({
        initPath: initPath(),
        plan: JSON.stringify(p.plan),
        cgroupProcsFiles: p.placement.dirs.map((d) => `${d.dir}/cgroup.procs`),
        uidMap: p.uidMap,
        gidMap: p.gidMap,
        execFifo: path.join(dir, 'exec.fifo'),
        consoleSocket: opts.consoleSocket ? path.resolve(opts.consoleSocket) : undefined,
        attachConsole: internals.attachTerminal && p.plan.process.terminal,
        preserveFds: p.plan.process.preserveFds,
        seccompListenerPath: p.seccompListenerPath,
        seccompState: seccompState(p, opts.id),
        timeoutMs: launchTimeoutMs(p.hooks),
        startFifo: startReported(p.hooks) ? path.join(dir, START_FIFO) : undefined,
      }, createStageHandler({ hooks: p.hooks, base: hookStateBase(p.config, opts.id, p.bundle), bundle: p.bundle, logger, reached: () => (stageReached = true) }));
    } catch (e) {
      throw fromNative(e, `create container "${opts.id}"`);
    }
    testPoint('launched');
    logger.debug(`launch: ${launched.timings.map((t) => `${t.step} +${t.ms.toFixed(2)} ms`).join(', ')}`);
    record.status = 'created';
    record.pid = launched.pid;
    record.runts.pidStartTime = launched.startTime;
    writeRecord(dir, record);
    if (opts.pidFile) writePidFile(opts.pidFile, launched.pid);
    testPoint('written');
    // commitLaunch closes the sync fd, even when it fails: abortLaunch must
    // not close that number again (it may be another fd of the caller's by then).
    const syncFd = launched.syncFd;
    launched.syncFd = -1;
    native().commitLaunch(syncFd);
    warnUnavailableCaps(launched, logger);
    const consoleFd = launched.consoleFd >= 0 ? launched.consoleFd : undefined;
    return { state: toPublicState(record, 'created'), consoleFd };
  } catch (e) {
    if (launched) {
      native().abortLaunch(launched.syncFd, launched.pid, launched.startTime);
      if (launched.consoleFd >= 0) native().closeFd(launched.consoleFd);
    }
    removeCgroups(cgroups);
    removeStateDir(dir);
    if (stageReached) poststopAfterFailedCreate(p.hooks, hookStateBase(p.config, opts.id, p.bundle), p.bundle, logger);
    throw e instanceof RuntsError ? e : fromNative(e, `create container "${opts.id}"`);
  } finally {
    native().closeFd(lockFd);
  }
}
