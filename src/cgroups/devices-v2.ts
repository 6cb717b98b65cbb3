// cgroup v2: the rules become an eBPF program (devices-bpf.ts) attached to
// the container's cgroup. As runc does: note the programs already attached,
// load and attach the new one with BPF_F_ALLOW_MULTI (so there is never a
// moment without a filter), then detach the old ones. rmdir of the cgroup at
// delete releases whatever is attached to it.

import { fromNative } from '../errors';
import type { NativeAddon } from '../native/binding';
import type { DeviceRule } from './devices';
import { DEVICE_PROGRAM_LICENSE, deviceProgram } from './devices-bpf';

/** The addon's steps (tests pass a fake). */
export type BpfSteps = Pick<NativeAddon, 'bpfLoadDeviceProgram' | 'bpfQueryDevicePrograms' | 'bpfAttachDeviceProgram' | 'bpfDetachDeviceProgram' | 'closeFd'>;

export interface V2Report {
  /** Program size in instructions. */
  insns: number;
  /** Ids of the earlier programs that were detached. */
  detached: number[];
}

export function applyDevicesV2(dir: string, rules: readonly DeviceRule[], bpf: BpfSteps): V2Report {
  const program = deviceProgram(rules);
  try {
    const old = bpf.bpfQueryDevicePrograms(dir);
    const fd = bpf.bpfLoadDeviceProgram(program, DEVICE_PROGRAM_LICENSE);
    try {
      bpf.bpfAttachDeviceProgram(dir, fd);
    } finally {
      // The attachment holds its own reference to the program.
      bpf.closeFd(fd);
    }
    for (const id of old) bpf.bpfDetachDeviceProgram(dir, id);
    return { insns: program.length / 8, detached: old };
  } catch (e) {
    throw fromNative(e, `device cgroup of ${dir}`);
  }
}
