import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults';
import { rootlessConfig } from '../../src/config/rootless-spec';
import { schemaProblems } from '../../src/config/validate';
import { takeSpecRootless } from '../../src/cli/spec-rootless';

describe('spec --rootless', () => {
  const config = rootlessConfig(defaultConfig(), { uid: 1000, gid: 100 });

  it('maps root to the caller in a user namespace, with no network namespace', () => {
    const types = config.linux!.namespaces!.map((n) => n.type);
    expect(types).toContain('user');
    expect(types).not.toContain('network');
    expect(config.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(config.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 100, size: 1 }]);
  });

  it('binds the host /sys, drops the devpts gid and the resources, as runc ToRootless', () => {
    expect(config.mounts!.find((m) => m.destination === '/sys')).toEqual({ destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(config.mounts!.find((m) => m.type === 'devpts')!.options!.some((o) => o.startsWith('gid='))).toBe(false);
    expect(config.linux!.resources).toBeUndefined();
  });

  it('is a valid config and leaves the default untouched', () => {
    expect(schemaProblems(config)).toEqual([]);
    expect(defaultConfig().linux!.namespaces!.map((n) => n.type)).toContain('network');
  });
});

describe('spec --rootless on the command line', () => {
  it('is taken after the verb spec, not as the global --rootless', () => {
    expect(takeSpecRootless(['spec', '--rootless'])).toEqual({ args: ['spec'], rootless: true });
    expect(takeSpecRootless(['--root', '/r', 'spec', '-b', '/b', '--rootless=false'])).toEqual({ args: ['--root', '/r', 'spec', '-b', '/b'], rootless: false });
    expect(takeSpecRootless(['--rootless', 'false', 'spec'])).toEqual({ args: ['--rootless', 'false', 'spec'], rootless: undefined });
    expect(takeSpecRootless(['create', '--rootless'])).toEqual({ args: ['create', '--rootless'], rootless: undefined });
  });
});
