// cgroup v1's devices controller: the rules are writes to devices.allow and
// devices.deny. Like runc, runts reads devices.list, writes only the
// transition from what is there to the target (for a new cgroup: "a" to
// devices.deny, then each allowed device), and reads devices.list back to
// check that the kernel ended where it should. cgroups are files, so unit
// tests run this against a temporary directory.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RuntsError } from '../errors';
import { parseDevicesList, ruleString, sameState, stateOf, transition, type DeviceRule } from './devices';

/** The file operations the writer needs (tests give it a fake kernel). */
export interface DeviceFiles {
  read(file: string): string;
  /** One rule per write(2), as the kernel parses one rule per call. */
  write(file: string, line: string): void;
}

export const realDeviceFiles: DeviceFiles = {
  read: (file) => readFileSync(file, 'utf8'),
  write: (file, line) => writeFileSync(file, line),
};

export interface V1Write {
  file: 'devices.allow' | 'devices.deny';
  line: string;
}

/** The writes that take a cgroup whose devices.list reads `currentList` to `rules`. */
export function v1Writes(currentList: string, rules: readonly DeviceRule[]): V1Write[] {
  return transition(parseDevicesList(currentList), stateOf(rules)).map((r) => ({
    file: r.allow ? 'devices.allow' : 'devices.deny',
    line: ruleString(r),
  }));
}

/** Applies the rules to the v1 devices cgroup `dir`; returns the writes made. */
export function applyDevicesV1(dir: string, rules: readonly DeviceRule[], files: DeviceFiles = realDeviceFiles): V1Write[] {
  const list = path.join(dir, 'devices.list');
  const read = () => {
    try {
      return files.read(list);
    } catch (e) {
      throw new RuntsError(`read ${list}: ${(e as Error).message}`, { code: 'ESYSTEM' });
    }
  };
  const writes = v1Writes(read(), rules);
  for (const w of writes) {
    const file = path.join(dir, w.file);
    try {
      files.write(file, w.line);
    } catch (e) {
      throw new RuntsError(`write "${w.line}" to ${file}: ${(e as Error).message}`, { code: 'ESYSTEM' });
    }
  }
  // An allow-all cgroup's devices.list does not show its deny exceptions:
  // only the mode can be checked then.
  const target = stateOf(rules);
  const after = parseDevicesList(read());
  if (target.defaultAllow ? !after.defaultAllow : !sameState(after, target)) {
    throw new RuntsError(`the devices cgroup ${dir} did not take the rules: devices.list is now "${read().trim().replace(/\n/g, ', ')}"`, { code: 'ESYSTEM' });
  }
  return writes;
}
