// `events`: a container's resource statistics and OOM kills, in runc's
// format (runc's types/events.go). The work is the native one
// (addon/common/events.cc, cgroup-stats.cc), the very code the `runts`
// launcher runs without Node: the cgroup files are read, and the OOM watch
// is set up, in one place. The stream's wait loop runs on an addon thread
// and hands each line here, so that the library streams without polling and
// without a child process.
import { fromNative, RuntsError } from '../errors';
import { native } from '../native/binding';
import { DEFAULT_ROOT } from '../state/store';
import type { RootOption } from './operations';

/** runc's types.MemoryEntry. */
export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

/**
 * runc's types.Stats, as `runc events` prints it (fields omitted when zero
 * where runc omits them). Counters above 2^53 (an unlimited memory limit is
 * 2^63 rounded to a page) lose precision as JavaScript numbers: the event's
 * `json` has them exact.
 */
export interface ContainerStats {
  cpu: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number };
  };
  cpuset: {
    cpus?: number[];
    cpu_exclusive: number;
    mems?: number[];
    mem_hardwall: number;
    mem_exclusive: number;
    memory_migrate: number;
    memory_spread_page: number;
    memory_spread_slab: number;
    memory_pressure: number;
    sched_load_balance: number;
    sched_relax_domain_level: number;
  };
  memory: {
    cache?: number;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw?: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  blkio: {
    ioServiceBytesRecursive?: BlkioEntry[];
    ioServicedRecursive?: BlkioEntry[];
    ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[];
    ioWaitTimeRecursive?: BlkioEntry[];
    ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[];
    sectorsRecursive?: BlkioEntry[];
  };
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

export interface ContainerEvent {
  type: 'stats' | 'oom';
  id: string;
  /** The statistics of a stats event. */
  data?: ContainerStats;
  /** The event as `runc events` prints it, one line without its newline (64-bit counters exact). */
  json: string;
}

export interface EventsOptions extends RootOption {
  /** Time between stats events: a Go duration as on the CLI ("5s", "100ms"), or milliseconds. Default 5s. */
  interval?: string | number;
}

export interface EventStreamOptions extends EventsOptions {
  /** A stats read that failed; the stream goes on (runc logs these too). */
  onError?: (message: string) => void;
}

function intervalText(interval: string | number | undefined): string {
  if (interval === undefined) return '5s';
  return typeof interval === 'number' ? `${interval}ms` : interval;
}

function toEvent(json: string): ContainerEvent {
  return { ...(JSON.parse(json) as Omit<ContainerEvent, 'json'>), json };
}

/** `events --stats`: the container's stats event. A stopped container is an error, as for runc. */
export async function containerStats(id: string, opts?: EventsOptions): Promise<ContainerEvent> {
  try {
    return toEvent(native().eventsStats(opts?.root ?? DEFAULT_ROOT, id, intervalText(opts?.interval)));
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * `events`: a stats event every interval and an oom event whenever the OOM
 * killer acts in the container, until it stops (the iteration then ends) or
 * stop() is called. The first stats event comes one interval after the start,
 * as runc's does.
 */
export class ContainerEventStream implements AsyncIterableIterator<ContainerEvent> {
  private readonly queue: ContainerEvent[] = [];
  private waiting: { resolve: (r: IteratorResult<ContainerEvent>) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private failure: RuntsError | undefined;
  private readonly stopNative: () => void;

  constructor(id: string, opts?: EventStreamOptions) {
    try {
      this.stopNative = native().eventsStream(opts?.root ?? DEFAULT_ROOT, id, intervalText(opts?.interval), (kind, text) => {
        if (kind === 'line') this.push(toEvent(text));
        else if (kind === 'error') opts?.onError?.(text);
        else this.finish(kind === 'failed' ? new RuntsError(text, { code: 'EINTERNAL' }) : undefined);
      });
    } catch (e) {
      throw fromNative(e);
    }
  }

  private push(event: ContainerEvent): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w.resolve({ value: event, done: false });
    else this.queue.push(event);
  }

  private finish(failure: RuntsError | undefined): void {
    this.ended = true;
    this.failure = failure;
    const w = this.waiting;
    this.waiting = undefined;
    if (w && failure) w.reject(failure);
    else if (w) w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ContainerEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.ended) return this.failure ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Stops the stream; events already received are still returned. */
  stop(): void {
    this.stopNative();
  }

  /** Called when a for-await loop ends early (break, throw). */
  return(): Promise<IteratorResult<ContainerEvent>> {
    this.stop();
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): ContainerEventStream {
    return this;
  }
}

/** `events`: see ContainerEventStream. Throws at once for a missing or stopped container. */
export function containerEvents(id: string, opts?: EventStreamOptions): ContainerEventStream {
  return new ContainerEventStream(id, opts);
}
