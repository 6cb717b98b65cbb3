// The engines' default seccomp profiles (test/fixtures/seccomp/), made into
// linux.seccomp the way the engines make them: Podman (containers/common)
// and Docker (moby) ship a template whose rules depend on the architecture,
// the container's capabilities and the kernel version; both resolve it with
// the same rules (moby profiles/seccomp/seccomp_linux.go setupSeccomp).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LinuxSeccomp, SeccompArg } from '../../src/seccomp/profile';

interface TemplateSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  includes?: { arches?: string[]; caps?: string[]; minKernel?: string };
  excludes?: { arches?: string[]; caps?: string[] };
}

interface Template {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls: TemplateSyscall[];
}

export const FIXTURES = path.resolve(__dirname, '../fixtures/seccomp');

export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
}

function kernelAtLeast(running: string, wanted: string): boolean {
  const [a = 0, b = 0] = running.split('.').map((n) => parseInt(n, 10));
  const [c = 0, d = 0] = wanted.split('.').map((n) => parseInt(n, 10));
  return a > c || (a === c && b >= d);
}

/** A template profile resolved for amd64, these bounding capabilities and kernel. */
export function resolveTemplate(file: string, caps: readonly string[], kernel = '6.0'): LinuxSeccomp {
  const t = readFixture(file) as Template;
  const native = (t.archMap ?? []).find((m) => m.architecture === 'SCMP_ARCH_X86_64');
  const syscalls = t.syscalls
    .filter((s) => {
      if (s.includes?.arches?.length && !s.includes.arches.includes('amd64')) return false;
      if (s.excludes?.arches?.includes('amd64')) return false;
      if (s.includes?.caps?.some((c) => !caps.includes(c))) return false;
      if (s.excludes?.caps?.some((c) => caps.includes(c))) return false;
      if (s.includes?.minKernel && !kernelAtLeast(kernel, s.includes.minKernel)) return false;
      return true;
    })
    .map((s) => ({
      names: s.names,
      action: s.action,
      ...(s.args?.length ? { args: s.args } : {}),
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
    }));
  return {
    defaultAction: t.defaultAction,
    ...(t.defaultErrnoRet !== undefined ? { defaultErrnoRet: t.defaultErrnoRet } : {}),
    architectures: native ? [native.architecture, ...(native.subArchitectures ?? [])] : [],
    syscalls,
  };
}

export const podmanProfile = (caps: readonly string[]) => resolveTemplate('podman-seccomp.json', caps);
export const mobyProfile = (caps: readonly string[]) => resolveTemplate('moby-default.json', caps);
export const containerdProfile = () => readFixture('containerd-default-amd64.json') as LinuxSeccomp;
