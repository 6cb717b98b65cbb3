// `runts ps` in table form under Node: ps(1) through child_process (the
// addon must not fork the multi-threaded Node process), then runc's filter,
// the C++ one the launcher uses too (addon/common/ps-table.cc).
import { fromNative, RuntsError } from '../errors';
import { childProcess, signalNumbers } from '../lazy-builtins';
import { native } from '../native/binding';

/** ps(1) of every process of a big host is a few MiB; more is not a ps table. */
const MAX_PS_OUTPUT = 64 * 1024 * 1024;

/** Runs `ps psArgs` (default `-ef`) and keeps its header and the lines of pids. */
export function psTable(pids: readonly number[], psArgs: readonly string[]): string {
  const args = psArgs.length > 0 ? [...psArgs] : ['-ef'];
  const r = childProcess().spawnSync('ps', args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: MAX_PS_OUTPUT });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code ?? r.error.message;
    throw new RuntsError(`run ps: ${code}: is procps installed and on PATH?`, { code: 'EUNSUPPORTED' });
  }
  if (r.status !== 0) {
    const how = r.status === null ? `killed by signal ${r.signal ? signalNumbers()[r.signal] : '?'}` : `exit status ${r.status}`;
    throw new RuntsError(`ps ${args.join(' ')}: ${how} (ps said why on stderr)`, { code: 'ESYSTEM' });
  }
  try {
    return native().filterPsTable(r.stdout, [...pids]);
  } catch (e) {
    throw fromNative(e);
  }
}
