// The plan's seccomp part: the profile translated (translate.ts), compiled
// by a SeccompCompiler (the addon's libseccomp in create, a fake in unit
// tests), and the facts runts-init needs to load it at the right moment.
import type { OciConfig } from '../config/types';
import type { PlanSeccomp } from '../plan/types';
import type { LinuxSeccomp } from './profile';
import { translateSeccomp, type SeccompDescription } from './translate';

export interface CompiledProgram {
  /** struct sock_filter[], host byte order. */
  program: Uint8Array;
  /** Syscall names this libseccomp does not know (skipped, as runc skips them). */
  skipped: string[];
}

export type SeccompCompiler = (description: SeccompDescription) => CompiledProgram;

export interface PlannedSeccomp {
  plan: PlanSeccomp | null;
  listenerPath?: string;
  listenerMetadata?: string;
}

export function planSeccomp(config: OciConfig, compile: SeccompCompiler | undefined): PlannedSeccomp {
  const profile = config.linux?.seccomp;
  if (!profile) return { plan: null };
  if (!compile) throw new Error('runts: a seccomp profile needs a compiler (the native addon)');
  const t = translateSeccomp(profile);
  const compiled = compile(t.description);
  const noNewPrivileges = config.process?.noNewPrivileges ?? false;
  return {
    plan: {
      program: Buffer.from(compiled.program.buffer, compiled.program.byteOffset, compiled.program.byteLength).toString('base64'),
      flags: t.flags,
      notify: t.notify,
      beforeCredentials: !noNewPrivileges,
    },
    ...(t.notify ? { listenerPath: profile.listenerPath, listenerMetadata: profile.listenerMetadata ?? '' } : {}),
  };
}

export type { LinuxSeccomp };
