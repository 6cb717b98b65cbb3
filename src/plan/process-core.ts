// What create's process and an exec'd one are planned the same way from:
// argv, env (with socket activation), user, rlimits, capabilities, terminal.
// The fields where exec falls back to the container's values are passed in.
import type { Process } from '../config/types';
import { capabilityMask } from './capabilities';
import { RLIMITS, uint64String } from './rlimits';
import { own } from '../lookup';
import type { PlanCapabilities, PlanProcess } from './types';

export interface ActivationContext {
  /** --preserve-fds. */
  preserveFds?: number;
  /** The runtime's environment (LISTEN_FDS, LISTEN_PID). */
  env?: NodeJS.ProcessEnv;
  /** The runtime's pid, as LISTEN_PID must name it; this process's by default. */
  pid?: number;
}

/**
 * Socket activation: fds 3..3+LISTEN_FDS-1 go to the process, which sees
 * itself as their recipient (LISTEN_PID=1), as with runc. Only when they are
 * meant for the runtime: runc's activation.Files ignores LISTEN_FDS unless
 * LISTEN_PID is its own pid (a LISTEN_FDS inherited by way of another
 * process, conmon's say, is not an offer of fds).
 */
export function withSocketActivation(processEnv: readonly string[], ctx: ActivationContext): { env: string[]; preserveFds: number } {
  const env = [...processEnv];
  let preserveFds = ctx.preserveFds ?? 0;
  const listenFds = Number(ctx.env?.LISTEN_FDS ?? '');
  const forUs = ctx.env?.LISTEN_PID !== undefined && Number(ctx.env.LISTEN_PID) === (ctx.pid ?? globalThis.process.pid);
  if (forUs && Number.isInteger(listenFds) && listenFds > 0) {
    preserveFds += listenFds;
    env.push(`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1');
  }
  return { env, preserveFds };
}

function capabilities(caps: NonNullable<Process['capabilities']>): PlanCapabilities {
  const mask = (names: string[] | undefined) => capabilityMask(names).mask.toString();
  return {
    bounding: mask(caps.bounding),
    effective: mask(caps.effective),
    permitted: mask(caps.permitted),
    inheritable: mask(caps.inheritable),
    ambient: mask(caps.ambient),
  };
}

export type ProcessCore = Pick<
  PlanProcess,
  | 'args' | 'env' | 'cwd' | 'path' | 'uid' | 'gid' | 'additionalGids' | 'setGroups' | 'umask' | 'rlimits' | 'capabilities'
  | 'noNewPrivileges' | 'terminal' | 'consoleSize' | 'preserveFds'
>;

export function planProcessCore(
  p: Process,
  ctx: ActivationContext,
  inherited: { capabilities: Process['capabilities']; rlimits: Process['rlimits'] },
): ProcessCore {
  const { env, preserveFds } = withSocketActivation(p.env ?? [], ctx);
  const pathEntry = [...env].reverse().find((e) => e.startsWith('PATH='));
  const user = p.user ?? { uid: 0, gid: 0 };
  const size = p.consoleSize;
  return {
    args: p.args ?? [],
    env,
    cwd: p.cwd,
    path: pathEntry ? pathEntry.slice(5) : '',
    uid: user.uid ?? 0,
    gid: user.gid ?? 0,
    additionalGids: user.additionalGids ?? [],
    setGroups: true,
    umask: user.umask ?? null,
    rlimits: (inherited.rlimits ?? []).map((r) => ({ name: r.type, resource: own(RLIMITS, r.type) ?? -1, soft: uint64String(r.soft), hard: uint64String(r.hard) })),
    capabilities: capabilities(inherited.capabilities ?? {}),
    noNewPrivileges: p.noNewPrivileges ?? false,
    terminal: p.terminal ?? false,
    consoleSize: p.terminal && size ? { rows: size.height, cols: size.width } : null,
    preserveFds,
  };
}
