// Why runts' result differs from runc's, test by test: a deliberate choice,
// or a capability not implemented yet. A difference without a note is
// treated as a bug of ours (conformance:compare says so in RESULTS.md).

const NOT_YET = 'Not implemented in runts yet: a config that asks for it is refused with a message naming it, never run without it.';
const RUNC_115 = 'runc 1.1.5 (Debian 12) does not implement it; runts does.';
const RUNC_115_POSTSTART =
  'runc 1.1.5 (Debian 12) runs poststart hooks during create, so a failing one fails create; runc 1.2 and runts run them during start, after the process started, a failure being a warning, as the spec says.';
const RUNC_115_IGNORES = 'runc 1.1.5 (Debian 12) predates this field and runs the container without it; runts applies it.';

export const NOTES: Record<string, string> = {
  'config-linux.resources.cpu.burst': RUNC_115_IGNORES,
  'config-linux.resources.cpu.idle': RUNC_115_IGNORES,
  'config-linux.resources.memory.kernelTCP': 'runc 1.1.5 leaves memory.kmem.tcp.limit_in_bytes at the kernel\'s default; runts writes it where the kernel has the file, as runc 1.0 and crun do.',
  'hooks.order': RUNC_115_POSTSTART,
  'hooks.poststart-failure': RUNC_115_POSTSTART,
  'config-linux.seccomp.errnoRet-unsupported': 'runc 1.1.5 ignores errnoRet on an action without an errno; runts refuses it, as the spec asks.',
  'config-linux.seccomp.flags': 'runc 1.1.5 refuses every seccomp flag ("seccomp flags are not yet supported by runc"); runc 1.2 and crun load them, as runts does.',
  'config.process.env':
    'As runc and crun: when process.env has no HOME, runts adds it from the rootfs\'s /etc/passwd entry of the process\'s uid ("/" without one), which programs and engines rely on; the test expects exactly process.env.',
  'config-linux.devices.mismatch':
    'Deliberate: the spec says a different file already at a device\'s path MUST be an error; runc and crun keep the file and go on.',
  'config.valid-values.ociVersion': 'runc accepts any ociVersion; runts refuses what is not SemVer, or outside 1.0.0 to 1.3.x, as the spec\'s "valid values" asks.',
  'config.process.ioPriority': RUNC_115_IGNORES,
  'config.process.ioPriority.best-effort': RUNC_115_IGNORES,
  'config.process.scheduler': RUNC_115_IGNORES,
  'config.process.scheduler.deadline': RUNC_115_IGNORES,
  'config.process.scheduler.flags': RUNC_115_IGNORES,
  'config-linux.personality': RUNC_115_IGNORES,
  'config-linux.memoryPolicy': RUNC_115_IGNORES,
  'config-linux.memoryPolicy.flags': RUNC_115_IGNORES,
  'config-linux.memoryPolicy.local': RUNC_115_IGNORES,
  'config-linux.intelRdt.no-resctrl':
    'runc 1.1.5 and crun 1.8.1 create the container without resctrl and without Intel RDT; the spec requires an error, which runts gives (it refuses intelRdt on every host: docs/process-fields.md).',
  'config.mounts.option.rro': RUNC_115,
  'config.domainname': RUNC_115,
  'config-linux.namespaces.time': RUNC_115,
  'config-linux.time-offsets': RUNC_115,
  'config-linux.rootfsPropagation.shared': 'runc 1.1.5 leaves / without a peer group; runts makes it shared, as asked.',
  'config-linux.rootfsPropagation.unbindable': 'runc 1.1.5 fails to set up the container with this propagation; runts makes / unbindable, as asked.',
};
