// `spec --rootless`: the default config turned into one a user without root
// could run, as runc's specconv.ToRootless does (crun's `spec --rootless`
// too): a user namespace mapping root to the caller, no network namespace
// (an unprivileged user could not give it a network), the host's /sys bound
// instead of a new sysfs (which a user namespace may not mount), no devpts
// gid (the group is not mapped) and no resources (no cgroup to write).
import type { OciConfig } from './types';

export interface Caller {
  uid: number;
  gid: number;
}

export function rootlessConfig(config: OciConfig, caller: Caller): OciConfig {
  const linux = { ...config.linux };
  linux.namespaces = [...(linux.namespaces ?? []).filter((n) => n.type !== 'network' && n.type !== 'user'), { type: 'user' }];
  linux.uidMappings = [{ containerID: 0, hostID: caller.uid, size: 1 }];
  linux.gidMappings = [{ containerID: 0, hostID: caller.gid, size: 1 }];
  delete linux.resources;
  const mounts = (config.mounts ?? []).map((m) => {
    if (m.destination === '/sys') return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    if (m.type === 'devpts') return { ...m, options: (m.options ?? []).filter((o) => !o.startsWith('gid=')) };
    return m;
  });
  return { ...config, mounts, linux };
}
