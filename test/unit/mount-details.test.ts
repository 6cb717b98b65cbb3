// The plan side of the mount details (test/integration/mount-details.test.ts
// checks what the init does with it): tmpcopyup, LISTEN_FDS.
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import { semanticProblems, type SemanticContext } from '../../src/config/semantic';
import type { OciConfig } from '../../src/config/types';
import { features } from '../../src/features';
import type { PlanContext } from '../../src/plan/build';
import { parseMountOptions, recognisedMountOptions } from '../../src/plan/mount-options';
import { buildCheckedPlan } from '../helpers/checked-plan';
import { fakeHost } from '../helpers/fake-host';

const V2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');

function config(edit: (c: OciConfig) => void): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  c.process!.terminal = false;
  edit(c);
  return c;
}

const planCtx = (): PlanContext => ({
  id: 'c1',
  bundle: '/bundle',
  host: fakeHost({ '/srv/data': 'dir' }),
  cgroups: placeContainer(V2, undefined, 'c1'),
  env: {},
});

const semCtx = (): SemanticContext => ({ bundle: '/bundle', host: fakeHost({ '/srv/data': 'dir' }), terminalHandled: false, consoleSocket: false });

describe('tmpcopyup', () => {
  it('is a step of the runtime, neither a flag, data nor unsupported', () => {
    const p = parseMountOptions(['nosuid', 'tmpcopyup', 'size=1m']);
    expect(p).toMatchObject({ copyUp: true, unsupported: [], data: 'size=1m' });
    expect(parseMountOptions(['nosuid']).copyUp).toBe(false);
    expect(recognisedMountOptions()).toContain('tmpcopyup');
    expect(features().mountOptions).toContain('tmpcopyup');
  });

  it('plans copyUp for a tmpfs, and for nothing else', () => {
    const { plan } = buildCheckedPlan(
      config((c) => {
        c.mounts!.push(
          { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'tmpcopyup', 'mode=1777'] },
          { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
        );
      }),
      planCtx(),
    );
    const tmp = plan.mounts.find((m) => m.destination === '/tmp')!;
    expect(tmp).toMatchObject({ kind: 'fs', type: 'tmpfs', copyUp: true, data: 'mode=1777', flags: 0 });
    expect(plan.mounts.find((m) => m.destination === '/run')!.copyUp).toBe(false);
    expect(plan.mounts.filter((m) => m.copyUp)).toHaveLength(1);
  });

  it('is accepted on a tmpfs (Podman --read-only, --tmpfs)', () => {
    const c = config((c) => c.mounts!.push({ destination: '/var/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }));
    expect(semanticProblems(c, semCtx()).problems).toEqual([]);
  });

  it('is refused where runc and crun would ignore it: a bind mount, another filesystem', () => {
    const c = config((c) => {
      c.mounts!.push(
        { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'tmpcopyup'] },
        { destination: '/mq', type: 'mqueue', source: 'mqueue', options: ['tmpcopyup'] },
      );
    });
    const n = c.mounts!.length;
    expect(semanticProblems(c, semCtx()).problems).toEqual([
      { path: `mounts[${n - 2}].options`, message: '"tmpcopyup" applies to tmpfs mounts only (this mount\'s type is bind)' },
      { path: `mounts[${n - 1}].options`, message: '"tmpcopyup" applies to tmpfs mounts only (this mount\'s type is "mqueue")' },
    ]);
  });
});

describe('LISTEN_FDS', () => {
  const plan = (env: NodeJS.ProcessEnv) => buildCheckedPlan(config(() => {}), { ...planCtx(), preserveFds: 1, env, pid: 4242 }).plan.process;

  it('adds the fds to the preserved ones when LISTEN_PID is the runtime, as runc', () => {
    const p = plan({ LISTEN_FDS: '2', LISTEN_PID: '4242' });
    expect(p.preserveFds).toBe(3);
    expect(p.env.slice(-2)).toEqual(['LISTEN_FDS=2', 'LISTEN_PID=1']);
  });

  it('ignores them when LISTEN_PID is another process or missing (runc: activation.Files)', () => {
    for (const env of [{ LISTEN_FDS: '2', LISTEN_PID: '1' }, { LISTEN_FDS: '2' }, { LISTEN_FDS: 'x', LISTEN_PID: '4242' }]) {
      const p = plan(env);
      expect(p.preserveFds).toBe(1);
      expect(p.env.some((e) => e.startsWith('LISTEN_'))).toBe(false);
    }
  });
});
