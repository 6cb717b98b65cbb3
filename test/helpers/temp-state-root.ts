// A temporary --root for unit tests of the native verbs: records written the
// way create writes them (src/state/store.ts writeRecord), and `sleep`
// processes to stand in for container processes. Everything is removed (and
// every sleeper killed) after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { native } from '../../src/native/binding';
import type { StateRecord } from '../../src/state/record';
import { writeRecord } from '../../src/state/store';

export interface Sleeper {
  pid: number;
  startTime: string;
  child: ChildProcess;
}

export interface TempStateRoot {
  /** The root of the current test. */
  readonly root: string;
  /** Writes <root>/<id>/state.json for a created container whose process is pid (with that start time); returns the directory. */
  record(id: string, pid: number, startTime: string, over?: Partial<StateRecord>): string;
  /** A `sleep 60` of this test, with its start time as the kernel reports it. */
  sleeper(): Promise<Sleeper>;
}

export function useTempStateRoot(prefix: string): TempStateRoot {
  let root = '';
  const children: ChildProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    record(id, pid, startTime, over = {}) {
      const dir = path.join(root, id);
      mkdirSync(dir);
      writeRecord(dir, {
        ociVersion: '1.3.0',
        id,
        status: 'created',
        pid,
        bundle: '/some/bundle',
        rootfs: '/some/bundle/rootfs',
        created: '2026-01-02T03:04:05.000Z',
        owner: '',
        runts: { version: 1, pidStartTime: startTime, creatorPid: 1, creatorStartTime: '0', cgroups: [], needsNodeFor: [] },
        ...over,
      });
      return dir;
    },
    async sleeper() {
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(child);
      await new Promise((r) => child.once('spawn', r));
      return { pid: child.pid!, startTime: native().procStartTime(child.pid!)!, child };
    },
  };
}
