// The features document (runtime-spec features.md): what runts implements,
// decided when runts is built, not by what this host happens to have.
import { CAPABILITIES } from './plan/capabilities';
import { recognisedMountOptions } from './plan/mount-options';
import { MPOL_FLAGS, MPOL_MODES } from './plan/process-fields';
import { MIN_SPEC_VERSION, SPEC_VERSION } from './config/version';
import { VERSION } from './version';
import { HOOK_KINDS } from './hooks/plan';
import { ACTIONS, ARCHITECTURES, flagProbeBit, FLAGS, OPERATORS } from './seccomp/names';
import type { SeccompHost } from './seccomp/profile';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: {
      enabled: boolean;
      actions: string[];
      operators: string[];
      archs: string[];
      knownFlags: string[];
      supportedFlags: string[];
    };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean; schemata: boolean; monitoring: boolean };
    memoryPolicy: { modes: string[]; flags: string[] };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
  annotations: Record<string, string>;
}

/**
 * The seccomp section: what runts knows, and (from the host probe, as runc
 * probes its kernel and libseccomp) which architectures and flags work here.
 */
export function seccompFeatures(host: SeccompHost): Features['linux']['seccomp'] {
  const archs = Object.keys(ARCHITECTURES).filter((a) => !host.knownArchitectures || host.knownArchitectures.has(ARCHITECTURES[a]!));
  const knownFlags = Object.keys(FLAGS);
  return {
    enabled: true,
    actions: Object.keys(ACTIONS).sort(),
    operators: Object.keys(OPERATORS).sort(),
    archs: archs.sort(),
    knownFlags,
    supportedFlags: knownFlags.filter((f) => host.supportedFlags === undefined || (host.supportedFlags & flagProbeBit(f)) !== 0),
  };
}

export function features(seccompHost: SeccompHost = {}): Features {
  return {
    ociVersionMin: MIN_SPEC_VERSION,
    ociVersionMax: SPEC_VERSION,
    // Every kind of runtime-spec 1.3 (docs/hooks.md).
    hooks: [...HOOK_KINDS],
    mountOptions: recognisedMountOptions(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      // cgroupfs on v1, v2 and hybrid hosts, every linux.resources field
      // (docs/cgroups.md), rdma included; no systemd driver.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: seccompFeatures(seccompHost),
      // The spec: whether the runtime supports the LSM, "irrelevant to the
      // availability" on the host (runc says true on hosts without either).
      apparmor: { enabled: true },
      selinux: { enabled: true },
      // Refused on every host (docs/process-fields.md explains why).
      intelRdt: { enabled: false, schemata: false, monitoring: false },
      memoryPolicy: { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      'io.github.runts.version': VERSION,
      'io.github.runts.cgroup.hybrid': 'true',
    },
  };
}
