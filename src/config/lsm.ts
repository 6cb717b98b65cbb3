// The LSM fields of config.json against what this host has. A label for an
// LSM the host lacks is refused before anything is created: runc refuses an
// SELinux label at validation and fails the container at start for an
// AppArmor profile (the write to attr/exec gets EINVAL) or a mount label (the
// tmpfs mount gets EINVAL); runts says the same earlier, with the JSON path.
// (crun ignores a mount label without SELinux, and an AppArmor profile on a
// kernel that has AppArmor built in but disabled.)
import type { ConfigProblem } from '../errors';
import type { HostProbe } from '../plan/host';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// A newline would end the attr write early, a NUL would cut it; a quote would
// end the context="..." option and let the rest of the label become options.
const CONTROL = /[\u0000-\u001f\u007f]/;

function badCharacters(value: string, allowQuote: boolean): string | undefined {
  if (CONTROL.test(value)) return 'must not contain control characters (newlines, NUL)';
  if (!allowQuote && value.includes('"')) return 'must not contain \'"\' (it becomes a quoted context="..." mount option)';
  return undefined;
}

function checkApparmor(problems: ConfigProblem[], profile: string, host: HostProbe): void {
  const path = 'process.apparmorProfile';
  const bad = badCharacters(profile, true);
  if (bad) {
    problems.push({ path, message: bad });
    return;
  }
  if (!host.apparmorEnabled()) {
    problems.push({
      path,
      message: `asks for the AppArmor profile "${profile}", but AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not "Y"): remove process.apparmorProfile, or run the container on a host with AppArmor enabled`,
    });
    return;
  }
  if (host.apparmorProfileLoaded?.(profile) === false) {
    problems.push({
      path,
      message: `the AppArmor profile "${profile}" is not loaded (it is not in /sys/kernel/security/apparmor/profiles): load it first, e.g. apparmor_parser -r /etc/apparmor.d/<file>`,
    });
  }
}

function checkSelinux(problems: ConfigProblem[], path: string, label: string, host: HostProbe, what: string): void {
  const bad = badCharacters(label, path !== 'linux.mountLabel');
  if (bad) {
    problems.push({ path, message: bad });
    return;
  }
  if (!host.selinuxEnabled()) {
    problems.push({
      path,
      message: `asks for the SELinux ${what} "${label}", but SELinux is not enabled on this host (no selinuxfs is mounted): remove ${path}, or run the container on a host with SELinux enabled`,
    });
  }
}

export function lsmProblems(config: Json, host: HostProbe): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const process = obj(config.process);
  const profile = nonEmpty(process?.apparmorProfile);
  if (profile !== undefined) checkApparmor(problems, profile, host);
  const label = nonEmpty(process?.selinuxLabel);
  if (label !== undefined) checkSelinux(problems, 'process.selinuxLabel', label, host, 'process label');
  const mountLabel = nonEmpty(obj(config.linux)?.mountLabel);
  if (mountLabel !== undefined) checkSelinux(problems, 'linux.mountLabel', mountLabel, host, 'mount label');
  return problems;
}
