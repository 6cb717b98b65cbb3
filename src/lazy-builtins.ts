// Node built-ins that only some verbs use, loaded on first use. Each verb is
// a new process, and a built-in required at the bundle's top level is loaded
// (and compiled) by every create: child_process brings net, stream and dgram
// with it, ~9 ms of CPU; os ~1 ms. test/integration/create-startup.test.ts checks
// that loading the CLI and planning a create load none of them.
import type * as ChildProcess from 'node:child_process';
import type * as Os from 'node:os';

export function childProcess(): typeof ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:child_process') as typeof ChildProcess;
}

/** Signal numbers by name (os.constants.signals). */
export function signalNumbers(): typeof Os.constants.signals {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:os') as typeof Os).constants.signals;
}
