// A private Podman for one test file: its own storage root, runroot, tmpdir,
// containers.conf (cgroupfs, the runtime under test, this sandbox's rlimits),
// storage.conf, registries.conf (no registry), network configuration (the
// default bridge network "podman", its IPAM state in the test directory), and
// a local image imported from the tests' busybox rootfs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ok, run, runOnPty, shellQuote, type Ran, type RunOptions } from './exec';
import { killPids, processesMentioning, removeCgroupTree, sweepRuntimeState, unmountUnder } from './host';
import { RUNC_BINARY, RUNTIME, RUNTS_BINARY } from './runtime';

export const IMAGE = 'localhost/bb:latest';

/** The bridge of the default network; it lives in a private network namespace (see inNetns). */
const BRIDGE = 'cni-podman0';
export const BRIDGE_SUBNET = '10.88.0.0/16';
export const BRIDGE_GATEWAY = '10.88.0.1';

let counter = 0;

export class PodmanEnv {
  readonly dir: string;
  /** Every container's and pod's cgroup parent: under /runts-test, which check-leftovers.sh watches. */
  readonly cgroupParent: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(rootfs: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'runts-test-podman-'));
    this.cgroupParent = `/runts-test/engines-podman-${process.pid}`;
    const d = this.dir;
    for (const sub of ['root', 'runroot', 'tmp', 'networks', 'cni-ipam', 'blob-cache']) mkdirSync(path.join(d, sub));
    writeFileSync(path.join(d, 'containers.conf'), containersConf(d));
    writeFileSync(
      path.join(d, 'storage.conf'),
      `[storage]\ndriver = "overlay"\ngraphroot = "${d}/root"\nrunroot = "${d}/runroot"\n`,
    );
    writeFileSync(path.join(d, 'registries.conf'), 'unqualified-search-registries = []\n');
    writeFileSync(path.join(d, 'networks', 'podman.conflist'), bridgeNetwork(d));
    this.env = {
      CONTAINERS_CONF: path.join(d, 'containers.conf'),
      CONTAINERS_STORAGE_CONF: path.join(d, 'storage.conf'),
      CONTAINERS_REGISTRIES_CONF: path.join(d, 'registries.conf'),
    };
    try {
      this.importImage(rootfs);
    } catch (e) {
      // The caller never gets this object to tear down.
      this.teardown();
      throw e;
    }
  }

  /** Made in beforeAll; teardown() in afterAll removes everything, whatever state the tests left. */
  static create(rootfs: string): PodmanEnv {
    return new PodmanEnv(rootfs);
  }

  /** The global options of every podman command line of this test file. */
  private globalArgs(): string[] {
    const d = this.dir;
    return ['--root', `${d}/root`, '--runroot', `${d}/runroot`, '--tmpdir', `${d}/tmp`, '--runtime', RUNTIME.name];
  }

  podman(args: readonly string[], opts: RunOptions = {}): Ran {
    return run('podman', [...this.globalArgs(), ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** podman on a pseudo-terminal (for -it). */
  podmanOnPty(args: readonly string[], opts: RunOptions = {}): Ran {
    return runOnPty('podman', [...this.globalArgs(), ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  /**
   * podman in a new network namespace of its own, where the CNI bridge plugin
   * makes the default network's bridge and firewall rules: the host's network
   * is left alone, and all of it goes away with the namespace. In a mount
   * namespace of its own too, with an empty /var/lib: libcni keeps its result
   * cache in /var/lib/cni, whatever the configuration says. For a foreground
   * `run --rm` only: everything the container needs ends with the command.
   */
  podmanInNetns(args: readonly string[], opts: RunOptions = {}): Ran {
    const line = ['podman', ...this.globalArgs(), ...args].map(shellQuote).join(' ');
    const script = `ip link set lo up && mount -t tmpfs -o mode=0755 runts-test-var-lib /var/lib && ${line}`;
    return run('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', script], {
      ...opts,
      env: { ...this.env, ...opts.env },
    });
  }

  /** `podman run` options every test container gets. */
  get runArgs(): string[] {
    return ['--cgroup-parent', this.cgroupParent];
  }

  /** A container or pod name of this test file. */
  name(tag: string): string {
    return `engines-${tag}-${process.pid}-${++counter}`;
  }

  /** `podman inspect --format` of one container. */
  inspect(name: string, format: string): string {
    return ok(this.podman(['inspect', '--format', format, name])).trim();
  }

  private importImage(rootfs: string): void {
    // The image copy writes containers/image's blob-info cache, which for
    // root is always /var/lib/containers/cache: it is given a directory of
    // the test in a mount namespace of the import's own.
    const tarred = path.join(this.dir, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarred, '.']);
    const importLine = ['podman', ...this.globalArgs(), 'import', tarred, IMAGE].map(shellQuote).join(' ');
    const cache = '/var/lib/containers/cache';
    const script = existsSync(cache)
      ? `mount --bind ${shellQuote(path.join(this.dir, 'blob-cache'))} ${cache} && ${importLine}`
      : importLine;
    ok(run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env: this.env }));
    rmSync(tarred);
  }

  teardown(): void {
    const d = this.dir;
    this.podman(['pod', 'rm', '--all', '--force', '--time', '0'], { timeout: 60_000 });
    this.podman(['rm', '--all', '--force', '--time', '0'], { timeout: 60_000 });
    // What a crash of the above may leave: conmon and the cleanup processes
    // (they name the test directory), the runtime's state of our containers
    // (their bundles are under the test directory), mounts, cgroups.
    killPids(processesMentioning(d));
    for (const [binary, root] of [
      [RUNTS_BINARY, '/run/runts'],
      [RUNC_BINARY, '/run/runc'],
    ] as const) {
      sweepRuntimeState(binary, root, d);
    }
    unmountUnder(d);
    rmSync(d, { recursive: true, force: true });
    removeCgroupTree(this.cgroupParent);
  }
}

function containersConf(d: string): string {
  return `# Generated by test/engines/helpers/podman.ts
[containers]
# This sandbox refuses a hard rlimit above its own (nofile 20000) and Podman
# gives its children a hard nproc of 32768: Podman's default 1048576 fails with
# every runtime.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${d}/events.log"
lock_type = "file"
runtime = "${RUNTIME.name}"
# No stray pause image pulled for pods: the tests give --infra-image.
infra_image = "${IMAGE}"

[engine.runtimes]
runts = ["${RUNTS_BINARY}"]
runc = ["${RUNC_BINARY}"]

[network]
network_backend = "cni"
network_config_dir = "${d}/networks"
cni_plugin_dirs = ["/usr/lib/cni"]
default_network = "podman"
`;
}

/** Podman's default network, as Podman writes it, with the IPAM state kept in the test directory. */
function bridgeNetwork(d: string): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'podman',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${d}/cni-ipam`,
            routes: [{ dst: '0.0.0.0/0' }],
            ranges: [[{ subnet: BRIDGE_SUBNET, gateway: BRIDGE_GATEWAY }]],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'firewall' },
        { type: 'tuning' },
      ],
    },
    null,
    2,
  );
}
