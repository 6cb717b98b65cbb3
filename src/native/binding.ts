// Typed access to the C++ addon (addon/node/module.cc). The addon is loaded
// lazily, on first use, with process.dlopen so that the bundler leaves it alone.
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface LaunchRequest {
  initPath: string;
  /** The launch plan as JSON text (src/plan/types.ts). */
  plan: string;
  cgroupProcsFiles: string[];
  uidMap?: string;
  gidMap?: string;
  execFifo?: string;
  consoleSocket?: string;
  /** `run` in a terminal: return the pty master instead of sending it to a console socket. */
  attachConsole?: boolean;
  preserveFds?: number;
  timeoutMs?: number;
  /** SCMP_ACT_NOTIFY: the seccomp agent's socket. */
  seccompListenerPath?: string;
  /** The container process state for the agent (JSON); the addon fills in the pid. */
  seccompState?: string;
  /** A fifo on which the init reports a failure after `start` (startContainer hooks): see docs/hooks.md. */
  startFifo?: string;
  /** exec: process.execCPUAffinity.initial, set before runts-init joins the cgroups (64-bit words, decimal). */
  initialCpuAffinity?: string[];
}

/** exec: the container as its record and /proc say it is now (cgroup dirs confined to the host's mounts). */
export interface ExecTarget {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
  /** The recorded start time of the container process (decimal). */
  startTime: string;
  stateDir: string;
  cgroupDirs: string[];
}

/**
 * What the runtime does at a stage the init stops at (plan.hooks.stops):
 * called synchronously inside launch(). error fails the launch; data goes
 * back to the init with "continue".
 */
export type LaunchStageHandler = (stage: string, pid: number) => { error?: string; data?: string } | undefined;

/** A hook as the native runner executes it (addon/common/hook-exec.h). */
export interface NativeHook {
  kind: string;
  index: number;
  path: string;
  args: string[];
  env: string[];
  timeoutMs: number;
  /** "": the caller's working directory. */
  cwd?: string;
}

export interface NativeHookOutcome {
  ok: boolean;
  /** Why it failed, naming hooks.<kind>[i], the path, the status or timeout and the output's tail; "" when ok. */
  message: string;
  exitStatus: number | null;
  signal: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface NativeCompiledSeccomp {
  /** struct sock_filter[], host byte order. */
  program: Buffer;
  skipped: string[];
}

export interface NativeSeccompHost {
  /** SECCOMP_FILTER_FLAG_* bits this kernel accepts. */
  flags: number;
  /** The libseccomp architecture names asked about that this libseccomp knows. */
  architectures: string[];
  version: string;
}

export interface LaunchResult {
  pid: number;
  /** Start time of the process (clock ticks since boot), as a decimal string. */
  startTime: string;
  /** The sync socket, open until commitLaunch/abortLaunch. */
  syncFd: number;
  /** The pty master with attachConsole; -1 otherwise. */
  consoleFd: number;
  /** Milliseconds from the start of launch to each step (logged with --debug). */
  timings: { step: string; ms: number }[];
  /** Comma-separated capability numbers this host could not grant ("" for none). */
  capsUnavailable: string;
  /** Ambient capabilities the kernel refused (not permitted and inheritable). */
  ambientRefused: string;
}

export interface ChildExit {
  exitCode: number | null;
  signal: number | null;
}

export interface NativeAddon {
  launch(req: LaunchRequest, onStage?: LaunchStageHandler): LaunchResult;
  /** Runs one hook: the state on stdin, stdout/stderr captured, killed at its timeout. */
  runHook(hook: NativeHook, stdin: string): NativeHookOutcome;
  /** Waits until the init closes start.fifo (the read end fd); returns what it wrote ("" once it reached execve). */
  waitStartReport(fd: number): string;
  execTarget(root: string, id: string): ExecTarget;
  /** The launcher's exec planner (tests): the plan JSON, or null when it leaves the exec to Node. */
  nativeExecPlan(id: string, record: string, process: string, pid: number, startTime: string, preserveFds: number, listenFds: string | null): string | null;
  commitLaunch(syncFd: number): void;
  abortLaunch(syncFd: number, pid: number, startTime: string): void;
  state(root: string, id: string): string;
  start(root: string, id: string): void;
  kill(root: string, id: string, signal: string, all: boolean): void;
  /** Returns the warnings (with --force: cgroups that could not be removed). */
  delete(root: string, id: string, force: boolean): string[];
  pause(root: string, id: string): void;
  resume(root: string, id: string): void;
  /** Pids of every process in the container's cgroup and those below it (runc's order). */
  processes(root: string, id: string): number[];
  /** runc's filter of ps(1) output: the header and the lines whose PID column is one of pids. */
  filterPsTable(output: string, pids: number[]): string;
  validateContainerId(id: string): string | null;
  lockStateDir(dir: string): number;
  closeFd(fd: number): void;
  procStartTime(pid: number): string | null;
  signalProcess(pid: number, startTime: string, signal: number): boolean;
  parseSignal(text: string): number;
  waitChild(pid: number): Promise<ChildExit>;
  setWinsize(fd: number, rows: number, cols: number): void;
  jsonReformat(text: string): string;
  /** runts-init's plan reader: null, or why it refuses the plan (tests of the plan contract). */
  checkLaunchPlan(text: string): string | null;
  /** The native verbs' state record reader: null, or what is damaged (tests of the state contract). */
  checkStateRecord(id: string, text: string): string | null;
  /** The cgroup list (<root>/<id>/cgroups) as delete reads it: null, or why delete would ignore it. */
  checkCgroupList(id: string, text: string): string | null;
  /** Where delete looks for a container whose record is damaged: /runts/<id> in every hierarchy ("" for an absent file). */
  defaultCgroupPlacement(id: string): { dirs: string[]; procsFile: string; freezerFile: string; killFile: string };
  /** Compiles a SeccompDescription (as JSON) with libseccomp. */
  compileSeccomp(description: string): NativeCompiledSeccomp;
  seccompHost(architectures: string[]): NativeSeccompHost;
  /** bpf(BPF_PROG_LOAD) of a cgroup device program; returns its fd (close-on-exec). */
  bpfLoadDeviceProgram(insns: Uint8Array, license: string): number;
  /** Ids of the device programs attached to a cgroup v2 directory. */
  bpfQueryDevicePrograms(cgroupDir: string): number[];
  /** Attaches with BPF_F_ALLOW_MULTI. */
  bpfAttachDeviceProgram(cgroupDir: string, progFd: number): void;
  bpfDetachDeviceProgram(cgroupDir: string, progId: number): void;
  /** `events --stats`: the stats event, one JSON line (addon/common/events.cc). */
  eventsStats(root: string, id: string, interval: string): string;
  /** The stats "data" JSON of directories laid out like a container's cgroups (tests). */
  statsFromDirs(sources: StatsSources): string;
  /** Go's time.ParseDuration: nanoseconds. */
  parseDuration(text: string): number;
  /** `events`: streams on an addon thread; "end" or "failed" comes last. Returns stop(). */
  eventsStream(root: string, id: string, interval: string, onEvent: (kind: EventsStreamKind, text: string) => void): () => void;
}

/** Where statsFromDirs reads: v1 controller directories, or the v2 one. */
export interface StatsSources {
  unified: boolean;
  controllers?: Record<string, string>;
  unifiedDir?: string;
  hugepagesDir?: string;
}

/** line: an event; error: a stats read failed (the stream goes on); end/failed: the stream is over. */
export type EventsStreamKind = 'line' | 'error' | 'end' | 'failed';

let root: string | undefined;

/** The directory holding package.json and build/ (the checkout or the installed package). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'binding.gyp'))) return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`runts: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

export function buildDir(): string {
  return process.env.RUNTS_BUILD_DIR ?? path.join(packageRoot(), 'build', 'Release');
}

/** The runts-init executable that every container starts as. */
export function initPath(): string {
  return path.join(buildDir(), 'runts-init');
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon) return addon;
  const file = path.join(buildDir(), 'runts_native.node');
  if (!existsSync(file)) throw new Error(`runts: the native addon is not built (${file}); run \`npm install\``);
  const mod = { exports: {} as NativeAddon };
  process.dlopen(mod, file);
  addon = mod.exports;
  return addon;
}
