// `runts update`'s command line, as runc's: `--resources FILE|-` (a
// LinuxResources JSON document; containerd sends it on stdin), or the
// individual flags, each turned into the field of the document it sets.
// With --resources the other flags are ignored, as runc ignores them.
import { readSync } from 'node:fs';
import { parseConfigText } from '../config/load';
import { assertUpdatable, updateContainer, type UpdateResult } from '../container/update';
import { RuntsError } from '../errors';
import type { Logger } from '../log';
import { MAX_DOCUMENT_BYTES, readBoundedFile } from '../read-bounded';
import { UPDATE_OPTIONS, type OptionValue } from './grammar';

const BINARY_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units' RAMInBytes, as runc parses memory flags: "64m", "1.5g", "512KiB", "1024". */
export function ramInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) return undefined;
  const bytes = Math.trunc(Number(m[1]) * (BINARY_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  return bytes > 2 ** 63 ? undefined : bytes;
}

function flagError(flag: string, value: string, what: string): RuntsError {
  return new RuntsError(`invalid value for --${flag}: ${JSON.stringify(value)} is not ${what}`, { code: 'EUSAGE' });
}

function integer(flag: string, value: string, signed: boolean): number {
  const ok = signed ? /^[+-]?\d+$/ : /^\+?\d+$/;
  const n = Number(value);
  if (!ok.test(value) || !Number.isSafeInteger(n)) throw flagError(flag, value, signed ? 'an integer' : 'an unsigned integer');
  return n;
}

type Options = Record<string, OptionValue | undefined>;

/** The resources document runc's flags describe. */
export function resourcesFromFlags(options: Options): Record<string, unknown> {
  const get = (name: string): string | undefined => {
    const v = options[name];
    return v === undefined || v === '' ? undefined : String(v);
  };
  for (const flag of ['l3-cache-schema', 'mem-bw-schema']) {
    if (get(flag) !== undefined) {
      throw new RuntsError(`--${flag}: runts has no Intel RDT support (linux.intelRdt is refused at create), so there is no schema to update`, { code: 'EUNSUPPORTED' });
    }
  }
  const memory: Record<string, unknown> = {};
  const cpu: Record<string, unknown> = {};
  const out: Record<string, unknown> = {};
  const weight = get('blkio-weight');
  if (weight !== undefined) {
    const n = integer('blkio-weight', weight, false);
    // runc: 0 leaves the weight as it is.
    if (n !== 0) out.blockIO = { weight: n };
  }
  if (get('cpuset-cpus') !== undefined) cpu.cpus = get('cpuset-cpus');
  if (get('cpuset-mems') !== undefined) cpu.mems = get('cpuset-mems');
  const idle = get('cpu-idle');
  if (idle !== undefined) cpu.idle = integer('cpu-idle', idle, true);
  for (const [flag, key] of [['cpu-burst', 'burst'], ['cpu-period', 'period'], ['cpu-rt-period', 'realtimePeriod'], ['cpu-share', 'shares']] as const) {
    const v = get(flag);
    if (v !== undefined) cpu[key] = integer(flag, v, false);
  }
  for (const [flag, key] of [['cpu-quota', 'quota'], ['cpu-rt-runtime', 'realtimeRuntime']] as const) {
    const v = get(flag);
    if (v !== undefined) cpu[key] = integer(flag, v, true);
  }
  const memoryFlags = [
    ['memory', 'limit'],
    ['memory-swap', 'swap'],
    ['kernel-memory', 'kernel'],
    ['kernel-memory-tcp', 'kernelTCP'],
    ['memory-reservation', 'reservation'],
  ] as const;
  for (const [flag, key] of memoryFlags) {
    const v = get(flag);
    if (v === undefined) continue;
    const n = v === '-1' ? -1 : ramInBytes(v);
    if (n === undefined) throw flagError(flag, v, 'a size in bytes, with an optional unit (k, m, g, t, p), or -1');
    memory[key] = n;
  }
  const pids = get('pids-limit');
  if (pids !== undefined) out.pids = { limit: integer('pids-limit', pids, true) };
  if (Object.keys(memory).length) out.memory = memory;
  if (Object.keys(cpu).length) out.cpu = cpu;
  return out;
}

/** Reads stdin to its end, up to the document limit (it is a pipe, not a file). */
export function readStdinBounded(limit = MAX_DOCUMENT_BYTES): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking stdin: wait for the writer.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw new RuntsError(`cannot read the resources from stdin: ${(e as Error).message}`, { code: 'ESYSTEM' });
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new RuntsError(`the resources on stdin are larger than runts' limit of ${limit / (1024 * 1024)} MiB for a document it reads`, { code: 'EBADCONFIG' });
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The resources an update command line gives. */
export function resourcesFromCommandLine(options: Options, logger: Logger): unknown {
  const source = options.resources;
  if (source === undefined || source === '') return resourcesFromFlags(options);
  const others = UPDATE_OPTIONS.filter((o) => o.name !== 'resources' && options[o.name] !== undefined && options[o.name] !== '');
  if (others.length) logger.warn(`--resources is given: ${others.map((o) => `--${o.name}`).join(', ')} ignored (as runc does)`);
  const file = source === '-' ? 'the resources on stdin' : String(source);
  const text = source === '-' ? readStdinBounded() : readBoundedFile(String(source), { what: `resources file ${source}` });
  return parseConfigText(text, file);
}

export async function runUpdate(id: string, options: Options, root: string, logger: Logger): Promise<UpdateResult> {
  await assertUpdatable(id, root);
  return updateContainer(id, resourcesFromCommandLine(options, logger), { root, logger });
}
