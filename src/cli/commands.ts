// What each verb of the CLI does: convert the parsed command line into a
// library call and print the result.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootlessConfig } from '../config/rootless-spec';
import { defaultConfig } from '../config/defaults';
import { createContainer } from '../container/create';
import { containerEvents, containerStats } from '../container/events';
import {
  containerProcesses,
  containerState,
  deleteContainer,
  deleteMatching,
  killContainer,
  listContainers,
  pauseContainer,
  resumeContainer,
  startContainer,
} from '../container/operations';
import { psTable } from '../container/ps';
import { runContainer } from '../container/run';
import { execContainer } from '../container/exec';
import { printValidation } from '../container/validate';
import { RuntsError } from '../errors';
import { features } from '../features';
import { nativeSeccompHost } from '../seccomp/native';
import type { Logger } from '../log';
import { writeStdout } from '../output';
import type { ParsedCommand, Verb } from './grammar';
import { runUpdate } from './update-flags';

const NEEDS_ROOT: ReadonlySet<Verb> = new Set(['create', 'run', 'start', 'kill', 'delete', 'pause', 'resume', 'update', 'exec']);

function checkGlobals(cmd: ParsedCommand): void {
  const g = cmd.globals;
  if (g.systemdCgroup) {
    throw new RuntsError(
      '--systemd-cgroup: the systemd cgroup driver is not supported by runts yet; use the cgroupfs driver (omit --systemd-cgroup; Podman: cgroup_manager = "cgroupfs")',
      { code: 'EUNSUPPORTED' },
    );
  }
  if (g.cgroupManager === 'systemd') {
    throw new RuntsError(
      '--cgroup-manager systemd: the systemd cgroup driver is not supported by runts yet; use --cgroup-manager cgroupfs (the default) or disabled',
      { code: 'EUNSUPPORTED' },
    );
  }
  if (g.rootless === 'true') {
    throw new RuntsError('--rootless true: rootless containers are not supported by runts yet; run runts as root', { code: 'EUNSUPPORTED' });
  }
  if (NEEDS_ROOT.has(cmd.verb) && process.geteuid?.() !== 0) {
    throw new RuntsError(`${cmd.verb} needs root: rootless containers are not supported by runts yet (running as uid ${process.geteuid?.()})`, { code: 'EUNSUPPORTED' });
  }
}

function str(cmd: ParsedCommand, name: string): string | undefined {
  const v = cmd.options[name];
  return typeof v === 'string' ? v : undefined;
}

function bool(cmd: ParsedCommand, name: string): boolean {
  return cmd.options[name] === true;
}

function id(cmd: ParsedCommand): string {
  return cmd.positionals['container-id'] ?? '';
}

function strs(cmd: ParsedCommand, name: string): string[] | undefined {
  const v = cmd.options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
}

function execOptions(cmd: ParsedCommand, logger: Logger) {
  const nnp = cmd.options['no-new-privs'];
  return {
    id: id(cmd),
    root: cmd.globals.root,
    args: cmd.rest ?? [],
    processFile: str(cmd, 'process'),
    detach: bool(cmd, 'detach'),
    pidFile: str(cmd, 'pid-file'),
    tty: bool(cmd, 'tty'),
    consoleSocket: str(cmd, 'console-socket'),
    cwd: str(cmd, 'cwd'),
    env: strs(cmd, 'env'),
    user: str(cmd, 'user'),
    additionalGids: strs(cmd, 'additional-gids'),
    caps: strs(cmd, 'cap'),
    noNewPrivs: typeof nnp === 'boolean' ? nnp : undefined,
    preserveFds: Number(cmd.options['preserve-fds'] ?? 0),
    processLabel: str(cmd, 'process-label'),
    apparmor: str(cmd, 'apparmor'),
    ignorePaused: bool(cmd, 'ignore-paused'),
    logger,
  };
}

function createOptions(cmd: ParsedCommand, logger: Logger) {
  return {
    id: id(cmd),
    bundle: str(cmd, 'bundle') ?? '.',
    root: cmd.globals.root,
    pidFile: str(cmd, 'pid-file'),
    consoleSocket: str(cmd, 'console-socket'),
    noPivot: bool(cmd, 'no-pivot'),
    noNewKeyring: bool(cmd, 'no-new-keyring'),
    preserveFds: Number(cmd.options['preserve-fds'] ?? 0),
    configFile: str(cmd, 'config'),
    cgroupManager: cmd.globals.cgroupManager === 'disabled' ? ('disabled' as const) : ('cgroupfs' as const),
    logger,
  };
}

function printList(states: Awaited<ReturnType<typeof listContainers>>, cmd: ParsedCommand): void {
  if (bool(cmd, 'quiet')) {
    writeStdout(states.map((s) => `${s.id}\n`).join(''));
    return;
  }
  if (str(cmd, 'format') === 'json') {
    writeStdout(`${JSON.stringify(states)}\n`);
    return;
  }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  writeStdout(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd((widths[c] ?? 0) + 3))).join('')).join('\n') + '\n');
}

function writeSpec(cmd: ParsedCommand): void {
  const file = path.join(str(cmd, 'bundle') ?? '.', 'config.json');
  if (existsSync(file)) throw new RuntsError(`${file} exists: remove it first`, { code: 'EEXISTS' });
  const config = bool(cmd, 'rootless') ? rootlessConfig(defaultConfig(), { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }) : defaultConfig();
  writeFileSync(file, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o644 });
}

/** Runs the command; returns the exit code. */
export async function execute(cmd: ParsedCommand, logger: Logger): Promise<number> {
  checkGlobals(cmd);
  const root = { root: cmd.globals.root };
  switch (cmd.verb) {
    case 'create':
      if (bool(cmd, 'dry-run')) return printValidation({ ...createOptions(cmd, logger), configFile: str(cmd, 'config') }, { plan: true, json: false }, logger);
      await createContainer(createOptions(cmd, logger));
      return 0;
    case 'run': {
      const result = await runContainer({ ...createOptions(cmd, logger), detach: bool(cmd, 'detach'), keep: bool(cmd, 'keep') });
      return result.exitCode ?? 0;
    }
    case 'start':
      await startContainer(id(cmd), { ...root, logger });
      return 0;
    case 'state':
      writeStdout(JSON.stringify(await containerState(id(cmd), root), null, 2) + '\n');
      return 0;
    case 'kill':
      await killContainer(id(cmd), cmd.positionals.signal ?? 'SIGTERM', { ...root, all: bool(cmd, 'all') });
      return 0;
    case 'delete':
      if (bool(cmd, 'regex')) return deleteMatching(id(cmd), { ...root, force: bool(cmd, 'force'), logger }, logger);
      await deleteContainer(id(cmd), { ...root, force: bool(cmd, 'force'), logger });
      return 0;
    case 'list':
      printList(await listContainers(root), cmd);
      return 0;
    case 'pause':
      await pauseContainer(id(cmd), root);
      return 0;
    case 'resume':
      await resumeContainer(id(cmd), root);
      return 0;
    case 'ps': {
      const pids = await containerProcesses(id(cmd), root);
      writeStdout(str(cmd, 'format') === 'json' ? `${JSON.stringify(pids)}\n` : psTable(pids, cmd.rest ?? []));
      return 0;
    }
    case 'spec':
      writeSpec(cmd);
      return 0;
    case 'exec': {
      const result = await execContainer(execOptions(cmd, logger));
      return result.exitCode ?? 0;
    }
    case 'update':
      await runUpdate(id(cmd), cmd.options, cmd.globals.root, logger);
      return 0;
    case 'validate':
      return printValidation(
        { bundle: str(cmd, 'bundle') ?? '.', configFile: str(cmd, 'config'), id: cmd.positionals['container-id'], cgroupManager: cmd.globals.cgroupManager === 'disabled' ? 'disabled' : 'cgroupfs' },
        { plan: bool(cmd, 'plan'), json: str(cmd, 'format') === 'json' },
        logger,
      );
    case 'features':
      writeStdout(JSON.stringify(features(nativeSeccompHost()), null, 2) + '\n');
      return 0;
    case 'events': {
      const opts = { ...root, interval: str(cmd, 'interval') ?? '5s' };
      if (bool(cmd, 'stats')) {
        writeStdout(`${(await containerStats(id(cmd), opts)).json}\n`);
        return 0;
      }
      for await (const e of containerEvents(id(cmd), { ...opts, onError: (m) => logger.error(m) })) writeStdout(`${e.json}\n`);
      return 0;
    }
  }
}
