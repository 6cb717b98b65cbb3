// The command line, declared once. yargs (src/cli/yargs-cli.ts) is built
// from this table and is the reference parser: it prints help and usage
// errors. The fast parser (src/cli/fast-parse.ts) reads the same table and
// takes only well-formed command lines, so that create and run do not pay
// for loading yargs. Option names and meanings follow runc's.

export type Verb = 'create' | 'start' | 'state' | 'kill' | 'delete' | 'run' | 'list' | 'spec' | 'features' | 'pause' | 'resume' | 'ps' | 'events' | 'update' | 'exec' | 'validate';
export type OptionValue = string | number | boolean | string[];

export interface OptionSpec {
  name: string;
  alias?: string;
  /** strings: a string option that may be repeated (exec --env A --env B); its value is the list. */
  type: 'string' | 'boolean' | 'number' | 'strings';
  describe: string;
  default?: OptionValue;
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  describe: string;
  required: boolean;
}

export interface VerbSpec {
  name: Verb;
  describe: string;
  positionals: readonly PositionalSpec[];
  options: readonly OptionSpec[];
  /** Shown under `runts <verb> --help`. */
  epilog?: string;
  /** Everything after the positionals, verbatim, for another program (ps's options); a first "--" is dropped. */
  rest?: PositionalSpec;
  /** One typical command line, shown under "Examples:" in `runts <verb> --help`. */
  example?: VerbExample;
}

export interface VerbExample {
  command: string;
  describe: string;
}

/**
 * Commands about the CLI itself, answered by src/cli/yargs-cli.ts before any
 * verb runs (execute never sees them): `runts help [command]`, as runc's, and
 * `runts completion bash|zsh` (src/cli/completion.ts).
 */
export const CLI_COMMANDS = [
  { name: 'help', usage: 'help [command]', describe: "print runts' help, or a command's (as runts <command> --help)" },
  { name: 'completion', usage: 'completion <shell>', describe: 'print a completion script for bash or zsh (source it in your shell)' },
] as const;

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
  /** crun's --cgroup-manager: cgroupfs (runts' only driver), systemd (refused), disabled (no cgroups). */
  cgroupManager: 'cgroupfs' | 'systemd' | 'disabled';
}

export interface ParsedCommand {
  verb: Verb;
  globals: Globals;
  positionals: Record<string, string | undefined>;
  options: Record<string, OptionValue | undefined>;
  /** The verb's rest arguments (VerbSpec.rest). */
  rest?: string[];
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'root', type: 'string', default: '/run/runts', describe: 'root directory for the state of containers (a tmpfs)' },
  { name: 'log', type: 'string', describe: 'append log lines to this file instead of stderr' },
  { name: 'log-format', type: 'string', default: 'text', choices: ['text', 'json'], describe: 'format of log lines' },
  { name: 'debug', type: 'boolean', default: false, describe: 'log debug lines (the launch plan, among others)' },
  { name: 'systemd-cgroup', type: 'boolean', default: false, describe: 'use the systemd cgroup driver (not supported yet: refused)' },
  { name: 'rootless', type: 'string', default: 'auto', choices: ['true', 'false', 'auto'], describe: 'rootless mode (only "false"/"auto" as root are supported)' },
  {
    name: 'cgroup-manager',
    type: 'string',
    default: 'cgroupfs',
    choices: ['cgroupfs', 'systemd', 'disabled'],
    describe: "crun's cgroup driver option: cgroupfs (runts' own), disabled (no cgroups: no limits, no device cgroup), systemd (not supported: refused)",
  },
];

const CREATE_OPTIONS: readonly OptionSpec[] = [
  { name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'the bundle directory (config.json, rootfs)' },
  { name: 'pid-file', type: 'string', describe: 'write the container process id to this file' },
  { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket that receives the pty master (process.terminal)' },
  { name: 'no-pivot', type: 'boolean', default: false, describe: 'use MS_MOVE + chroot instead of pivot_root (rootfs on a ramdisk)' },
  { name: 'no-new-keyring', type: 'boolean', default: false, describe: 'keep the caller\'s session keyring instead of a new one' },
  { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass N more fds (3 .. 3+N-1) to the container' },
  { name: 'config', alias: 'f', type: 'string', describe: "a config file to use instead of <bundle>/config.json, relative to the bundle (crun's --config)" },
];

const str = (describe: string, name: string): OptionSpec => ({ name, type: 'string', describe });

/** runc 1.2's update flags (all strings: src/cli/update-flags.ts parses and checks them). */
export const UPDATE_OPTIONS: readonly OptionSpec[] = [
  { ...str('a file with the resources (LinuxResources JSON), or - for stdin; the other flags are then ignored', 'resources'), alias: 'r' },
  str('block I/O weight, 10 to 1000', 'blkio-weight'),
  str('CPU CFS period (µs)', 'cpu-period'),
  str('CPU CFS quota (µs) per period; -1 for none', 'cpu-quota'),
  str('CPU CFS burst (µs)', 'cpu-burst'),
  str('CPU shares (relative weight)', 'cpu-share'),
  str('CPU real-time period (µs)', 'cpu-rt-period'),
  str('CPU real-time runtime (µs) per period', 'cpu-rt-runtime'),
  str('CPUs to use ("0-3,5")', 'cpuset-cpus'),
  str('memory nodes to use', 'cpuset-mems'),
  str('1 for SCHED_IDLE, 0 for normal', 'cpu-idle'),
  str('kernel memory limit (v1, where the kernel still enforces it)', 'kernel-memory'),
  str('kernel TCP buffer memory limit', 'kernel-memory-tcp'),
  str('memory limit (bytes, or with a unit: 64m, 1g); -1 for none', 'memory'),
  str('memory soft limit (bytes or with a unit)', 'memory-reservation'),
  str('memory plus swap limit (bytes or with a unit); -1 for unlimited swap', 'memory-swap'),
  str('maximum number of processes; -1 or 0 for none', 'pids-limit'),
  str('Intel RDT L3 cache schema (refused: runts has no Intel RDT support)', 'l3-cache-schema'),
  str('Intel RDT memory bandwidth schema (refused: runts has no Intel RDT support)', 'mem-bw-schema'),
];

const ID: PositionalSpec = { name: 'container-id', describe: 'the container id', required: true };

/** runc exec's flags (src/container/exec.ts). */
const EXEC_OPTIONS: readonly OptionSpec[] = [
  { name: 'process', alias: 'p', type: 'string', describe: 'a file with the process to run (a runtime-spec process object); the flags that shape a process are then ignored' },
  { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'return once the process has started' },
  { name: 'pid-file', type: 'string', describe: 'write the process id to this file' },
  { name: 'tty', alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-TTY' },
  { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket that receives the pty master (with --tty --detach)' },
  { name: 'cwd', type: 'string', describe: 'the working directory in the container' },
  { name: 'env', alias: 'e', type: 'strings', describe: 'set an environment variable (KEY=value; repeatable)' },
  { name: 'user', alias: 'u', type: 'string', describe: 'uid[:gid] to run as' },
  { name: 'additional-gids', alias: 'g', type: 'strings', describe: 'an additional gid (repeatable)' },
  { name: 'cap', alias: 'c', type: 'strings', describe: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
  { name: 'no-new-privs', type: 'boolean', describe: 'set no_new_privs for the process' },
  { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass N more fds (3 .. 3+N-1) to the process' },
  { name: 'process-label', type: 'string', describe: 'the SELinux label of the process' },
  { name: 'apparmor', type: 'string', describe: 'the AppArmor profile of the process' },
  { name: 'ignore-paused', type: 'boolean', default: false, describe: 'exec even if the container is paused' },
];

export const VERBS: Readonly<Record<Verb, VerbSpec>> = {
  create: {
    name: 'create',
    example: { command: 'runts create --bundle /containers/c1 c1', describe: 'set up c1 from the bundle; `runts start c1` runs it' },
    describe: 'create a container from a bundle; it waits for `start`',
    positionals: [ID],
    options: [
      ...CREATE_OPTIONS,
      { name: 'dry-run', type: 'boolean', default: false, describe: 'validate and print the launch plan (as `runts validate --plan`); create nothing' },
    ],
    epilog: 'Validates config.json (every problem at once), sets up the container and leaves its process waiting.',
  },
  start: { name: 'start', example: { command: 'runts start c1', describe: 'run the program of created container c1' }, describe: 'run the program of a created container', positionals: [ID], options: [] },
  state: { name: 'state', example: { command: 'runts state c1', describe: "print c1's status, pid and bundle as JSON" }, describe: 'print the state of a container as JSON', positionals: [ID], options: [] },
  kill: {
    name: 'kill',
    example: { command: 'runts kill --all c1 KILL', describe: 'send SIGKILL to every process of c1' },
    describe: 'send a signal (default SIGTERM) to a container',
    positionals: [ID, { name: 'signal', describe: 'a name (SIGKILL, KILL) or a number', required: false }],
    options: [{ name: 'all', alias: 'a', type: 'boolean', default: false, describe: 'signal every process of the container' }],
  },
  delete: {
    name: 'delete',
    example: { command: 'runts delete --force c1', describe: 'kill c1 if it runs, then delete it' },
    describe: 'delete a stopped container and everything create made',
    positionals: [ID],
    options: [
      { name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it runs' },
      { name: 'regex', alias: 'r', type: 'boolean', default: false, describe: "the container id is a regular expression: delete every container whose id matches it (crun's)" },
    ],
  },
  run: {
    name: 'run',
    example: { command: 'runts run --bundle /containers/c1 c1', describe: 'run c1 in the foreground and exit with its exit code' },
    describe: 'create, start and wait for a container; exit with its code',
    positionals: [ID],
    options: [
      ...CREATE_OPTIONS,
      { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'return once started' },
      { name: 'keep', type: 'boolean', default: false, describe: "do not delete the container after it exits (crun's)" },
    ],
  },
  list: {
    name: 'list',
    example: { command: 'runts list --quiet', describe: 'print the ids of the containers under --root' },
    describe: 'list the containers under --root',
    positionals: [],
    options: [
      { name: 'format', alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'output format' },
      { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' },
    ],
  },
  spec: {
    name: 'spec',
    example: { command: 'runts spec --bundle /containers/c1', describe: 'write a default config.json into /containers/c1' },
    describe: 'write a default config.json into the bundle (spec --rootless: one for a rootless container, as runc\'s)',
    positionals: [],
    options: [{ name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' }],
  },
  pause: { name: 'pause', example: { command: 'runts pause c1', describe: 'freeze every process of c1' }, describe: 'suspend every process of a container (the cgroup freezer)', positionals: [ID], options: [] },
  resume: { name: 'resume', example: { command: 'runts resume c1', describe: 'thaw the processes of paused c1' }, describe: 'resume the processes of a paused container', positionals: [ID], options: [] },
  ps: {
    name: 'ps',
    example: { command: 'runts ps c1 -- -o pid,comm', describe: "list c1's processes with ps(1)'s -o pid,comm" },
    describe: 'list the processes of a container',
    positionals: [ID],
    options: [
      { name: 'format', alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: "table: ps(1)'s output kept to the container's processes; json: an array of pids" },
    ],
    rest: { name: 'ps-options', describe: 'options for ps(1) after the container id (default -ef)', required: false },
    epilog: 'Options go before the container id; what follows it is passed to ps(1), e.g. `runts ps c1 -- -o pid,comm`.',
  },
  features: { name: 'features', example: { command: 'runts features', describe: 'print what runts supports as the runtime-spec features JSON' }, describe: 'print the features document (what runts implements)', positionals: [], options: [] },
  events: {
    name: 'events',
    example: { command: 'runts events --stats c1', describe: "print c1's cgroup stats once as JSON" },
    describe: 'print stats every --interval and OOM kills of a container as JSON lines, until it stops',
    positionals: [ID],
    options: [
      { name: 'stats', type: 'boolean', default: false, describe: "print the container's stats once, then exit" },
      { name: 'interval', type: 'string', default: '5s', describe: 'time between stats, a Go duration (5s, 100ms, 1m30s)' },
    ],
  },
  exec: {
    name: 'exec',
    example: { command: 'runts exec -t c1 sh', describe: 'run an interactive shell in c1' },
    describe: 'run a new process in a created or running container',
    positionals: [ID],
    options: EXEC_OPTIONS,
    rest: { name: 'command', describe: 'the command and its arguments (unless --process is given)', required: false },
    epilog: 'Options go before the container id; what follows it is the command, e.g. `runts exec -t c1 sh -l`.',
  },
  validate: {
    name: 'validate',
    example: { command: 'runts validate --bundle /containers/c1 --plan', describe: 'list every problem of its config.json, or what create would set up' },
    describe: 'check a bundle as create would (every problem at once) without creating anything; --plan: what create would do',
    positionals: [{ name: 'container-id', describe: 'the id the plan is made for (default cgroup path /runts/<id>); default "container-id"', required: false }],
    options: [
      { name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'the bundle directory (config.json, rootfs)' },
      { name: 'config', alias: 'f', type: 'string', describe: 'a config file to use instead of <bundle>/config.json, relative to the bundle' },
      { name: 'plan', type: 'boolean', default: false, describe: 'print the launch plan: namespaces, mounts, devices, cgroups, process, seccomp, hooks' },
      { name: 'format', type: 'string', default: 'text', choices: ['text', 'json'], describe: 'text, or json: {"valid", "file", "problems", "warnings", "plan"}' },
    ],
    epilog: 'Exit 0 when the config is valid, 1 with its problems. Makes no state directory, cgroup or lock; needs no --root.',
  },
  update: {
    name: 'update',
    example: { command: 'runts update --memory 256m c1', describe: "set c1's memory limit to 256 MiB" },
    describe: 'change the resource limits of a created, running or paused container',
    positionals: [ID],
    options: UPDATE_OPTIONS,
    epilog: 'Only the limits given change. --resources takes a LinuxResources JSON document (- reads stdin); memory sizes take units (64m, 1g).',
  },
};

export function defaultGlobals(): Globals {
  return { root: '/run/runts', logFormat: 'text', debug: false, systemdCgroup: false, rootless: 'auto', cgroupManager: 'cgroupfs' };
}

/** Defaults of a verb's options, as both parsers report them. */
export function defaultOptions(spec: VerbSpec): Record<string, OptionValue | undefined> {
  const out: Record<string, OptionValue | undefined> = {};
  for (const o of spec.options) out[o.name] = o.default;
  return out;
}
