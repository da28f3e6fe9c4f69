// docker run / create: the flags checked first (nothing is made for a bad one), then the image
// and its layers, then the container (directory, name, rootfs, config.json) through the
// container lifecycle, which starts it detached under conmon or in the foreground.
import fs = require('node:fs');
import path = require('node:path');
import type { Context } from '../context';
import { UsageError } from '../errors';
import { type CreateOptions } from '../containers/lifecycle';
import { imageForContainer, imageLowerDirs } from '../images/prepare';
import { mountRootfs, unmountRootfs } from '../images/rootfs';
import { familiarName, parseReference } from '../images/reference';
import type { ImageRecord } from '../images/store';
import { writeEtcFiles } from '../network/etc-files';
import { netnsPath } from '../network/netns';
import type { PortMapping } from '../network/ports';
import { buildSpec } from '../spec/generate';
import { imageDefaults, normalizeSignal } from '../spec/image-defaults';
import type { PortMapping as PublishFlag } from '../spec/ports';
import { type ParsedRunFlags, runMounts } from '../spec/run-flags';
import { resolveUser } from '../spec/user';
import { createVolume } from '../volumes/store';
import { etcDir } from './hooks';
import { writePlan } from './plan';

export interface ContainerRequest {
  image: string;
  command: string[];
  flags: ParsedRunFlags;
  pull: 'missing' | 'always' | 'never';
  platform?: string;
  stopSignal?: string;
  stopTimeout?: number;
  labels: Record<string, string>;
}

/** -p as the network takes it; a host port range onto one container port is not supported. */
export function publishedPorts(flags: readonly PublishFlag[]): PortMapping[] {
  return flags.map((p) => {
    if (p.hostPortEnd !== undefined && p.hostPortEnd !== p.hostPort) {
      throw new UsageError(`-p ${p.hostPort}-${p.hostPortEnd}:${p.containerPort}: a host port range onto one container port is not supported`);
    }
    if (p.protocol === 'sctp') throw new UsageError(`-p ${p.hostPort}:${p.containerPort}/sctp: sctp is not supported by the mydocker0 network (tcp, udp)`);
    // 0.0.0.0 is every IPv4 address: the same as none given (portmap, and the overlap check)
    const everyAddress = p.hostIp === '' || p.hostIp === '0.0.0.0';
    return { ...(everyAddress ? {} : { hostIP: p.hostIp }), hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol };
  });
}

/** The image and everything createContainer needs to make the container from it. */
export async function containerCreateOptions(ctx: Context, request: ContainerRequest): Promise<CreateOptions> {
  const { flags } = request;
  const publish = publishedPorts(flags.publish);
  if (publish.length > 0 && flags.network !== 'bridge') throw new UsageError(`-p: published ports need --network bridge (not ${flags.network})`);
  const image = await imageForContainer(ctx.paths, request.image, { pull: request.pull, ...(request.platform ? { platform: request.platform } : {}), output: ctx.err });
  const lowerDirs = await imageLowerDirs(ctx.paths, image);
  const defaults = imageDefaults(image.config);
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    image: { ref: imageName(request.image, image), id: image.configDigest },
    config: {
      tty: flags.tty,
      interactive: flags.interactive,
      env: flags.env,
      ...(flags.workdir ? { workingDir: flags.workdir } : {}),
      ...(flags.user ? { user: flags.user } : {}),
      ...(flags.hostname ? { hostname: flags.hostname } : {}),
      labels: { ...defaults.labels, ...request.labels },
      ports: publish.map((p) => `${p.hostIP ?? ''}:${p.hostPort}:${p.containerPort}/${p.protocol}`),
      network: flags.network,
      command: request.command,
    },
    stopSignal: request.stopSignal !== undefined ? normalizeSignal(request.stopSignal) : defaults.stopSignal,
    ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
    autoRemove: flags.rm,
    spec: (container) => containerSpec(ctx, image, lowerDirs, request, publish, container),
  };
}

function imageName(text: string, image: ImageRecord): string {
  try {
    return familiarName(parseReference(text));
  } catch {
    return image.configDigest.slice(7, 19); // given by id
  }
}

/** Mounts the rootfs (for the user lookup) and writes the plan and config.json. */
async function containerSpec(
  ctx: Context,
  image: ImageRecord,
  lowerDirs: string[],
  request: ContainerRequest,
  publish: PortMapping[],
  container: { id: string; name: string; dir: string },
) {
  const { flags } = request;
  const hostname = flags.hostname ?? (flags.network === 'host' ? undefined : container.id.slice(0, 12));
  const rootfs = await mountRootfs(lowerDirs, container.dir, { volatile: flags.rm });
  try {
    const user = resolveUser(rootfs, flags.user ?? (image.config.config?.User || undefined));
    const anonymous = imageDefaults(image.config).anonymousVolumes.filter((target) => !flags.volumes.some((v) => v.target === target));
    const mounts = runMounts({ volumes: [...flags.volumes, ...anonymous.map((target) => ({ kind: 'anonymous' as const, target, readonly: false }))], tmpfs: flags.tmpfs }, (v) =>
      createVolume(ctx.paths, v.kind === 'volume' ? v.name : undefined, { 'mydocker.container': container.id }).mountpoint,
    );
    for (const m of mounts) {
      if (m.kind === 'bind' && !fs.existsSync(m.source)) fs.mkdirSync(m.source, { recursive: true }); // docker creates a missing bind source
    }
    let files;
    if (flags.network !== 'host') {
      // written again with the address at each start (hooks.ts); they must exist for config.json
      files = writeEtcFiles(etcDir(container.dir), { hostname: hostname!, name: container.name });
    }
    const spec = buildSpec(image.config, {
      rootfs: path.join(container.dir, 'rootfs'),
      command: request.command,
      ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
      env: flags.env,
      ...(flags.workdir ? { workdir: flags.workdir } : {}),
      user,
      ...(hostname !== undefined ? { hostname } : {}),
      tty: flags.tty,
      mounts,
      readOnly: flags.readOnly,
      ...(flags.shmSize !== undefined ? { shmSize: flags.shmSize } : {}),
      resources: flags.resources,
      privileged: flags.privileged,
      capAdd: flags.capAdd,
      capDrop: flags.capDrop,
      ...(flags.seccomp !== undefined ? { seccomp: flags.seccomp } : {}),
      ...(flags.noNewPrivileges !== undefined ? { noNewPrivileges: flags.noNewPrivileges } : {}),
      // bridge and none join the namespace the start hook makes (hooks.ts); host has none
      network: flags.network === 'host' ? { mode: 'host' } : { mode: flags.network, netnsPath: netnsPath(ctx.paths, container.id) },
      ...(files ? { files } : {}),
      cgroupsPath: `/mydocker/${container.id}`,
    });
    writePlan(container.dir, { lowerDirs, network: flags.network, publish, hostname: hostname ?? '' });
    // left mounted: the start hook (usually right after) finds it so; rm and stop release it
    return spec;
  } catch (err) {
    await unmountRootfs(container.dir);
    throw err;
  }
}
