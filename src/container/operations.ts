// start, state, kill, delete, pause, resume, ps and list. The work is done by the native verbs
// (addon/common/verbs.cc), the very code the `runts` launcher runs without
// Node, so the library and the CLI behave the same.
import { readdirSync } from 'node:fs';
import type { ContainerState } from '../config/types';
import { fromNative, RuntsError } from '../errors';
import { hookRecordForDelete, runPoststop, startWithHooks } from '../hooks/lifecycle';
import { readHookRecord } from '../hooks/record';
import type { Logger } from '../log';
import { native } from '../native/binding';
import { checkContainerId, DEFAULT_ROOT, stateDir } from '../state/store';

export interface RootOption {
  /** State directory root (--root). Default /run/runts. */
  root?: string;
}

/** start and delete run hooks (docs/hooks.md): their failures that are warnings go here. */
export interface HookVerbOptions extends RootOption {
  logger?: Logger;
}

function rootOf(opts: RootOption | undefined): string {
  return opts?.root ?? DEFAULT_ROOT;
}

export async function startContainer(id: string, opts?: HookVerbOptions): Promise<void> {
  const root = rootOf(opts);
  try {
    checkContainerId(id);
    // A container with hooks after create has a hook record (src/hooks/record.ts).
    const record = readHookRecord(stateDir(root, id), id);
    if (!record) {
      native().start(root, id);
      return;
    }
    startWithHooks(stateDir(root, id), record, {
      start: () => native().start(root, id),
      state: () => JSON.parse(native().state(root, id)) as ContainerState,
      logger: opts?.logger,
    });
  } catch (e) {
    throw e instanceof RuntsError ? e : fromNative(e);
  }
}

export async function containerState(id: string, opts?: RootOption): Promise<ContainerState> {
  try {
    return JSON.parse(native().state(rootOf(opts), id)) as ContainerState;
  } catch (e) {
    throw fromNative(e);
  }
}

export interface KillOptions extends RootOption {
  /** Signal every process of the container's cgroup, not just its init. */
  all?: boolean;
}

/** Sends a signal (a name such as "SIGTERM"/"KILL" or a number). */
export async function killContainer(id: string, signal: string | number = 'SIGTERM', opts?: KillOptions): Promise<void> {
  try {
    native().kill(rootOf(opts), id, String(signal), opts?.all ?? false);
  } catch (e) {
    throw fromNative(e);
  }
}

export interface DeleteOptions extends HookVerbOptions {
  /** Kill the container first if it is still running. */
  force?: boolean;
}

export async function deleteContainer(id: string, opts?: DeleteOptions): Promise<void> {
  const root = rootOf(opts);
  let pid = 0;
  let hooks: ReturnType<typeof hookRecordForDelete> = null;
  try {
    checkContainerId(id);
    hooks = hookRecordForDelete(stateDir(root, id), id, opts?.logger);
    if (hooks?.poststop.length) {
      try {
        pid = (JSON.parse(native().state(root, id)) as ContainerState).pid;
      } catch {
        // A damaged record: the hooks get pid 0, as for a stopped container.
      }
    }
    for (const warning of native().delete(root, id, opts?.force ?? false)) opts?.logger?.warn(warning);
  } catch (e) {
    throw e instanceof RuntsError ? e : fromNative(e);
  }
  // After the container is removed, before delete returns; failures are warnings.
  if (hooks?.poststop.length) runPoststop(hooks, pid, opts?.logger);
}

/**
 * crun's `delete --regex`: deletes every container under the root whose id
 * the pattern matches (anywhere in the id, as crun's regexec; an extended
 * regular expression there, a JavaScript one here: the same for the usual
 * ones). A container that cannot be deleted is reported and the others are
 * still deleted; the exit code is 1 then, else 0 (none matching included).
 */
export async function deleteMatching(pattern: string, opts: DeleteOptions, logger: Logger): Promise<number> {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new RuntsError(`delete --regex: ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`, { code: 'EUSAGE' });
  }
  let code = 0;
  for (const id of containerIds(rootOf(opts)).filter((i) => re.test(i))) {
    try {
      await deleteContainer(id, opts);
    } catch (e) {
      const err = fromNative(e);
      logger.error(err.message, err.details);
      code = 1;
    }
  }
  return code;
}

function containerIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RuntsError(`cannot read ${root}: ${(e as Error).message}`, { code: 'ESYSTEM' });
  }
}

/** Freezes a running (or created) container; it stays frozen until resumeContainer. */
export async function pauseContainer(id: string, opts?: RootOption): Promise<void> {
  try {
    native().pause(rootOf(opts), id);
  } catch (e) {
    throw fromNative(e);
  }
}

/** Thaws a paused container. */
export async function resumeContainer(id: string, opts?: RootOption): Promise<void> {
  try {
    native().resume(rootOf(opts), id);
  } catch (e) {
    throw fromNative(e);
  }
}

/** The pids (host pid namespace) of every process in the container's cgroup and the cgroups below it. */
export async function containerProcesses(id: string, opts?: RootOption): Promise<number[]> {
  try {
    return native().processes(rootOf(opts), id);
  } catch (e) {
    throw fromNative(e);
  }
}

/** Every container under the root; one whose create was interrupted shows as "creating" with pid 0. */
export async function listContainers(opts?: RootOption): Promise<ContainerState[]> {
  const root = rootOf(opts);
  const ids = containerIds(root);
  const states: ContainerState[] = [];
  for (const id of ids) {
    try {
      states.push(JSON.parse(native().state(root, id)) as ContainerState);
    } catch {
      states.push({ ociVersion: '', id, status: 'creating', pid: 0, bundle: '', rootfs: '', created: '', owner: '' });
    }
  }
  return states;
}
