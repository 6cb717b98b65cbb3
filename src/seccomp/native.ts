// The addon's side of seccomp: compiling a description with libseccomp and
// asking what this kernel and libseccomp support. Loaded only when a verb
// needs it (create with a profile, features).
import { ConfigError, isNativeFailure } from '../errors';
import { native } from '../native/binding';
import { ARCHITECTURES } from './names';
import type { CompiledProgram, SeccompCompiler } from './plan';
import type { SeccompHost } from './profile';

export interface SeccompHostInfo extends Required<SeccompHost> {
  libseccompVersion: string;
}

let cached: SeccompHostInfo | undefined;

export function nativeSeccompHostInfo(): SeccompHostInfo {
  if (cached) return cached;
  const h = native().seccompHost([...new Set(Object.values(ARCHITECTURES))]);
  cached = { supportedFlags: h.flags, knownArchitectures: new Set(h.architectures), libseccompVersion: h.version };
  return cached;
}

/**
 * For validation and features: without a built addon (a checkout before
 * `npm install`, validateConfig in a tool) the host-dependent checks are
 * skipped rather than failing; create needs the addon anyway.
 */
export function nativeSeccompHost(): SeccompHost {
  try {
    return nativeSeccompHostInfo();
  } catch {
    return {};
  }
}

/** A compiler that reports the syscalls libseccomp does not know to debug (runc logs them at debug level). */
export function nativeSeccompCompiler(debug: (line: string) => void): SeccompCompiler {
  return (description): CompiledProgram => {
    let out;
    try {
      out = native().compileSeccomp(JSON.stringify(description));
    } catch (e) {
      // libseccomp refused the profile (two rules for one syscall with
      // different actions, say): a config problem, reported as one.
      if (isNativeFailure(e)) throw new ConfigError('config.json', [{ path: 'linux.seccomp', message: e.message }]);
      throw e;
    }
    for (const name of out.skipped) debug(`seccomp: unknown syscall "${name}" ignored (this libseccomp does not know it)`);
    return { program: out.program, skipped: out.skipped };
  };
}
