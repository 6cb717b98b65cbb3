// The features document (runtime-spec features.md): what runts implements,
// decided when runts is built, not by what this host happens to have.
import { CAPABILITIES } from './plan/capabilities';
import { recognisedMountOptions } from './plan/mount-options';
import { MIN_SPEC_VERSION, SPEC_VERSION } from './config/version';
import { VERSION } from './version';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: { enabled: boolean };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
  annotations: Record<string, string>;
}

export function features(): Features {
  return {
    ociVersionMin: MIN_SPEC_VERSION,
    ociVersionMax: SPEC_VERSION,
    // Hooks are not implemented yet: a config with hooks is refused.
    hooks: [],
    mountOptions: recognisedMountOptions(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      // cgroup placement only: resource limits are not applied yet.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
      // The spec: whether the runtime supports the LSM, "irrelevant to the
      // availability" on the host (runc says true on hosts without either).
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      'io.github.runts.version': VERSION,
      'io.github.runts.cgroup.hybrid': 'true',
    },
  };
}
