// Local images made from the busybox root filesystem of the tests (see
// scripts/make-bundle.sh): no registry is reached. containerd takes them as a
// docker-archive tarball (`ctr images import`), Podman from a tar of the
// rootfs (`podman import`).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ImageSpec {
  /** Full name with tag, e.g. localhost/bb:latest. */
  name: string;
  /** The image's default command (its Cmd). */
  cmd: string[];
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes a docker-archive tarball (manifest.json, one config per image, one
 * shared uncompressed layer) holding images made of rootfs; returns its path.
 */
export function dockerArchive(rootfs: string, workDir: string, images: readonly ImageSpec[]): string {
  const dir = path.join(workDir, 'docker-archive');
  mkdirSync(dir, { recursive: true });
  const layer = path.join(dir, 'layer.tar');
  execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', layer, '.']);
  const diffId = `sha256:${sha256(readFileSync(layer))}`;
  const manifest = images.map((image) => {
    const config = JSON.stringify({
      architecture: ARCH[process.arch] ?? process.arch,
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: image.cmd,
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2026-01-01T00:00:00Z', created_by: 'runts engine tests: busybox-static rootfs' }],
    });
    const configFile = `${sha256(config)}.json`;
    writeFileSync(path.join(dir, configFile), config);
    return { Config: configFile, RepoTags: [image.name], Layers: ['layer.tar'] };
  });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const out = path.join(workDir, 'images.tar');
  execFileSync('tar', ['-C', dir, '-cf', out, 'manifest.json', ...manifest.map((m) => m.Config), 'layer.tar']);
  return out;
}
