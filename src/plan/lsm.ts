// Linux security module labels in the plan: the AppArmor profile and SELinux
// label the init writes before execve, and the SELinux mount label, which
// becomes a context="..." option of the mounts runc labels. Whether the host
// has the LSM is checked before planning (src/config/lsm.ts): a plan only
// carries labels the host can apply.
import type { OciConfig, Process } from '../config/types';
import type { PlanLsm, PlanMount, PlanMountLabel } from './types';

// runc labels every filesystem mount except these: procfs and sysfs cannot
// be labelled, cgroup2 is mounted without the label, and mqueue gets the
// label as an xattr on its root (older kernels refuse context= on it).
const UNLABELLED_TYPES: ReadonlySet<string> = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2', 'mqueue']);
const XATTR_LABELLED_TYPES: ReadonlySet<string> = new Set(['mqueue']);

/** The SELinux context option runc's label.FormatMountLabel adds: quoted, since MCS labels contain commas. */
export function contextOption(label: string): string {
  return `context="${label}"`;
}

export function withContext(data: string, label: string): string {
  return data ? `${data},${contextOption(label)}` : contextOption(label);
}

/** Empty strings mean "no label", as in runc. */
export function planProcessLsm(p: Process): PlanLsm {
  return {
    apparmorProfile: p.apparmorProfile ? p.apparmorProfile : null,
    selinuxLabel: p.selinuxLabel ? p.selinuxLabel : null,
  };
}

/**
 * Adds linux.mountLabel to the mounts runc labels with context=: filesystem
 * mounts other than the ones above, and the tmpfs under a cgroup v1 mount.
 * A bind mount takes no data, so it is left alone (runc passes the option,
 * and the kernel ignores it).
 */
export function labelMount(m: PlanMount, label: string): PlanMount {
  if (m.kind === 'cgroup1') return { ...m, data: withContext(m.data, label) };
  if (m.kind !== 'fs' || UNLABELLED_TYPES.has(m.type)) return m;
  return { ...m, data: withContext(m.data, label) };
}

export function planMountLabel(config: OciConfig, mounts: readonly PlanMount[]): PlanMountLabel | null {
  const label = config.linux?.mountLabel;
  if (!label) return null;
  return {
    label,
    xattrDestinations: mounts.filter((m) => m.kind === 'fs' && XATTR_LABELLED_TYPES.has(m.type)).map((m) => m.destination),
  };
}
