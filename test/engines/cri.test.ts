// containerd 1.6's CRI plugin, called as a kubelet does (runtime.v1 over
// gRPC), with a runtime handler whose BinaryName is the runtime under test
// (RUNTS_ENGINE_RUNTIME: runts, the default, or runc). One pod on the host
// network (no CNI), one container in it; the steps run in order, each its own
// test, the later ones on what the earlier made. See docs/engines.md.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ContainerdEnv, IMAGE, PAUSE_IMAGE } from './helpers/containerd';
import { CriClient, type ContainerStats, type ContainerStatus, type ExecSyncResponse, type PodSandboxStatus } from './helpers/cri';
import { waitFor } from './helpers/exec';
import { machineGap, RUNTIME } from './helpers/runtime';

const gap = machineGap(['containerd', 'ctr', 'containerd-shim-runc-v2']);

const MiB = 1024 * 1024;

describe.skipIf(gap !== undefined)(`containerd's CRI with the ${RUNTIME.name} handler (${RUNTIME.path})`, () => {
  let cd: ContainerdEnv;
  let cri: CriClient;
  let podId = '';
  let containerId = '';
  let podConfig: object = {};

  const hostNamespaces = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };

  beforeAll(async () => {
    // The CRI keeps its containers in containerd's "k8s.io" namespace.
    cd = await ContainerdEnv.start(path.join(inject('templateBundle'), 'rootfs'), { cri: true, namespace: 'k8s.io' });
    cri = new CriClient(cd.socket);
    podConfig = {
      metadata: { name: 'engines-pod', uid: `engines-${process.pid}`, namespace: 'runts-test', attempt: 0 },
      log_directory: cd.logDirectory,
      linux: {
        cgroup_parent: `${cd.cgroupParent}/pod`,
        security_context: { namespace_options: hostNamespaces },
      },
    };
  });

  afterAll(async () => {
    // What a failed step left: through the CRI first, then the daemon goes.
    if (cri && podId) {
      await cri.call('StopPodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
      await cri.call('RemovePodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
    }
    cri?.close();
    await cd?.teardown();
  });

  // A failed step shows what containerd logged (the shim's errors from the runtime's --log).
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`containerd log (last lines):\n${cd?.log().split('\n').slice(-15).join('\n')}`);
  });

  const status = async (): Promise<ContainerStatus> =>
    (await cri.call<{ status: ContainerStatus }>('ContainerStatus', { container_id: containerId })).status;

  const needPod = (): void => {
    if (!podId) throw new Error('no pod: RunPodSandbox failed');
  };
  const needContainer = (): void => {
    if (!containerId) throw new Error('no container: CreateContainer failed');
  };

  it('the images are there, imported without a registry', async () => {
    for (const image of [IMAGE, PAUSE_IMAGE]) {
      const r = await cri.call<{ image: { repo_tags: string[] } | null }>('ImageStatus', { image: { image } }, { image: true });
      expect(r.image?.repo_tags, image).toContain(image);
    }
  });

  it('RunPodSandbox: the pod sandbox is ready, through the handler', async () => {
    const r = await cri.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config: podConfig, runtime_handler: RUNTIME.name });
    podId = r.pod_sandbox_id;
    const s = await cri.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { pod_sandbox_id: podId });
    expect(s.status.state).toBe('SANDBOX_READY');
    expect(s.status.runtime_handler).toBe(RUNTIME.name);
    // The handler's Root: the runtime under test keeps the sandbox's state there.
    expect(existsSync(path.join(cd.runtimeRoot, 'k8s.io', podId, 'state.json'))).toBe(true);
  });

  it('CreateContainer: created, not started', async () => {
    needPod();
    const r = await cri.call<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: podId,
      sandbox_config: podConfig,
      config: {
        metadata: { name: 'main', attempt: 0 },
        image: { image: IMAGE },
        command: ['sh', '-c', 'echo hello-from-cri; echo oops-from-cri >&2; exec sleep 1000'],
        log_path: 'main.log',
        linux: {
          resources: { memory_limit_in_bytes: String(64 * MiB), cpu_period: '100000', cpu_quota: '50000' },
          security_context: { namespace_options: hostNamespaces },
        },
      },
    });
    containerId = r.container_id;
    expect((await status()).state).toBe('CONTAINER_CREATED');
  });

  it('StartContainer: running', async () => {
    needContainer();
    await cri.call('StartContainer', { container_id: containerId });
    const s = await status();
    expect(s.state).toBe('CONTAINER_RUNNING');
    expect(Number(s.started_at)).toBeGreaterThan(0);
  });

  it('ContainerStatus: state, log path, the resources asked for', async () => {
    needContainer();
    const s = await status();
    expect(s.id).toBe(containerId);
    expect(s.state).toBe('CONTAINER_RUNNING');
    expect(s.log_path).toBe(path.join(cd.logDirectory, 'main.log'));
    const memory = readFileSync(`/sys/fs/cgroup/memory${cd.cgroupParent}/pod/${containerId}/memory.limit_in_bytes`, 'utf8');
    expect(memory.trim()).toBe(String(64 * MiB));
  });

  it("logs: the container's output in its CRI log file, and nothing else", async () => {
    needContainer();
    const file = path.join(cd.logDirectory, 'main.log');
    const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(() => lines().length >= 2, 10_000);
    const streams = lines()
      .map((l) => l.split(' ').slice(1).join(' '))
      .sort();
    expect(streams).toEqual(['stderr F oops-from-cri', 'stdout F hello-from-cri']);
  });

  it('ExecSync: output and exit code of a process in the container', async () => {
    needContainer();
    const r = await cri.call<ExecSyncResponse>('ExecSync', {
      container_id: containerId,
      cmd: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo to-stderr >&2; exit 3'],
      timeout: '20',
    });
    expect(r.exit_code).toBe(3);
    expect(r.stdout.toString()).toBe('sleep 1000 \n');
    expect(r.stderr.toString()).toBe('to-stderr\n');
  });

  it('UpdateContainerResources: the new limits in the cgroup', async () => {
    needContainer();
    await cri.call('UpdateContainerResources', {
      container_id: containerId,
      linux: { memory_limit_in_bytes: String(128 * MiB), cpu_period: '100000', cpu_quota: '150000' },
    });
    const dir = `${cd.cgroupParent}/pod/${containerId}`;
    expect(readFileSync(`/sys/fs/cgroup/memory${dir}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(128 * MiB));
    expect(readFileSync(`/sys/fs/cgroup/cpu${dir}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('150000');
  });

  it('ContainerStats: memory and CPU figures', async () => {
    needContainer();
    const r = await cri.call<{ stats: ContainerStats }>('ContainerStats', { container_id: containerId });
    expect(r.stats.attributes?.id).toBe(containerId);
    expect(Number(r.stats.memory?.working_set_bytes?.value ?? 0)).toBeGreaterThan(0);
    expect(Number(r.stats.cpu?.usage_core_nano_seconds?.value ?? 0)).toBeGreaterThan(0);
  });

  it('StopContainer: SIGKILL after the grace period, exit code 137', async () => {
    needContainer();
    // sleep as pid 1 ignores SIGTERM: the CRI kills it when the 2 s are up.
    const started = Date.now();
    await cri.call('StopContainer', { container_id: containerId, timeout: '2' }, { timeoutMs: 20_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const s = await status();
    expect(s.state).toBe('CONTAINER_EXITED');
    expect(s.exit_code).toBe(137);
  });

  it('RemoveContainer: gone from the list', async () => {
    needContainer();
    await cri.call('RemoveContainer', { container_id: containerId });
    const r = await cri.call<{ containers: { id: string }[] }>('ListContainers', { filter: { pod_sandbox_id: podId } });
    expect(r.containers.map((c) => c.id)).not.toContain(containerId);
    expect(existsSync(path.join(cd.runtimeRoot, 'k8s.io', containerId))).toBe(false);
  });

  it('StopPodSandbox: not ready', async () => {
    needPod();
    await cri.call('StopPodSandbox', { pod_sandbox_id: podId });
    const s = await cri.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { pod_sandbox_id: podId });
    expect(s.status.state).toBe('SANDBOX_NOTREADY');
  });

  it('RemovePodSandbox: gone, with its runtime state', async () => {
    needPod();
    await cri.call('RemovePodSandbox', { pod_sandbox_id: podId });
    const r = await cri.call<{ items: { id: string }[] }>('ListPodSandbox', {});
    expect(r.items.map((p) => p.id)).not.toContain(podId);
    expect(existsSync(path.join(cd.runtimeRoot, 'k8s.io', podId))).toBe(false);
  });
});
