// The device cgroup, one interface for every layout: clean rules in
// (devices.ts, computed at plan time), writes or an eBPF program out. The
// devices controller decides: a v1 devices hierarchy (v1 and hybrid hosts)
// gets devices.allow/deny, otherwise the unified hierarchy gets a program.
// It is a security boundary: a host where neither exists is refused.

import { readFileSync } from 'node:fs';
import { RuntsError } from '../errors';
import type { DeviceRule } from './devices';
import { applyDevicesV1, realDeviceFiles, type DeviceFiles } from './devices-v1';
import { applyDevicesV2, type BpfSteps } from './devices-v2';
import type { CgroupPlacement } from './placement';

export type DeviceCgroupTarget = { kind: 'v1'; dir: string } | { kind: 'v2'; dir: string };

export function deviceCgroupTarget(placement: CgroupPlacement): DeviceCgroupTarget {
  const v1 = placement.dirs.find((d) => d.version === 1 && d.hierarchy.split(',').includes('devices'));
  if (v1) return { kind: 'v1', dir: v1.dir };
  const unified = placement.dirs.find((d) => d.version === 2);
  if (unified) return { kind: 'v2', dir: unified.dir };
  throw new RuntsError(
    'this host has no devices cgroup (no v1 devices hierarchy, no cgroup2): runts does not run a container without its device rules',
    { code: 'EUNSUPPORTED' },
  );
}

export interface DeviceCgroupDeps {
  files?: DeviceFiles;
  bpf: BpfSteps;
}

export interface DeviceCgroupApplied {
  kind: DeviceCgroupTarget['kind'];
  dir: string;
  /** v1: the lines written; v2: the program's length in instructions. */
  writes: number;
}

/** Applies the rules to the container's cgroup, before any process is in it. */
export function applyDeviceCgroup(placement: CgroupPlacement, rules: readonly DeviceRule[], deps: DeviceCgroupDeps): DeviceCgroupApplied {
  const target = deviceCgroupTarget(placement);
  if (target.kind === 'v1') {
    const writes = applyDevicesV1(target.dir, rules, deps.files ?? realDeviceFiles);
    return { ...target, writes: writes.length };
  }
  return { ...target, writes: applyDevicesV2(target.dir, rules, deps.bpf).insns };
}

/**
 * runts inside a user namespace other than the initial one (nested in
 * another container) cannot write devices.deny nor load a device program;
 * the kernel then keeps the outer container's rules. runc skips the step
 * there too.
 */
export function inNestedUserNamespace(uidMap = readUidMap()): boolean {
  const fields = uidMap.trim().split(/\s+/);
  return !(fields.length === 3 && fields[0] === '0' && fields[1] === '0' && fields[2] === '4294967295');
}

function readUidMap(): string {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return '0 0 4294967295';
  }
}
