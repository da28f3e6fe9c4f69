// `mydocker inspect IMAGE` / `image inspect`: docker's image document (the fields docker's
// `image inspect` has that an OCI image carries), plus the manifest's descriptor as docker shows it
// with the containerd image store.
import { repoDigests, repoTags } from './naming';
import type { ImageRecord, ImageStore } from './store';
import { type Descriptor, type ImageRuntimeConfig } from './types';
import { manifestDescriptor } from './tag';

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Author: string;
  Config: ImageRuntimeConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  /** config plus the layers as stored, in bytes */
  Size: number;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
  Descriptor: Descriptor;
}

export function imageInspect(image: ImageRecord, manifest: Descriptor): ImageInspect {
  const { config } = image;
  const history = config.history ?? [];
  return {
    Id: image.configDigest,
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: history[history.length - 1]?.comment ?? '',
    Created: config.created ?? '',
    Author: config.author ?? '',
    Config: config.config ?? null,
    Architecture: config.architecture,
    ...(config.variant !== undefined ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: image.size,
    RootFS: { Type: config.rootfs.type, Layers: [...config.rootfs.diff_ids] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    Descriptor: manifest,
  };
}

/** The documents for each name or id, in order; the first unknown one throws NotFoundError. */
export function inspectImages(store: ImageStore, names: string[]): ImageInspect[] {
  return names.map((name) => {
    const image = store.resolve(name);
    return imageInspect(image, manifestDescriptor(store, image));
  });
}
