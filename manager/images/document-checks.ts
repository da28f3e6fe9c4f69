// Shape checks of the OCI documents found in an archive before we store them: what load relies
// on (descriptors with sha256 digests and sizes, a config's diff_ids). One line naming the field.
// (When the image-spec schemas of schemas/manager/ are in, these become validateManagerDocument calls.)
import { ManagerError } from '../errors';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function fail(what: string, field: string, expected: string): never {
  throw new ManagerError(`${what}: ${field}: ${expected}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkDescriptor(value: unknown, what: string, field: string): asserts value is Descriptor {
  if (!isObject(value)) fail(what, field, 'must be an object');
  if (typeof value.mediaType !== 'string') fail(what, `${field}/mediaType`, 'must be a string');
  if (typeof value.digest !== 'string' || !DIGEST.test(value.digest)) fail(what, `${field}/digest`, 'must be a sha256 digest');
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) fail(what, `${field}/size`, 'must be a byte count');
}

export function checkIndex(value: unknown, what: string): asserts value is ImageIndex {
  if (!isObject(value)) fail(what, '/', 'must be an object');
  if (!Array.isArray(value.manifests)) fail(what, '/manifests', 'must be a list');
  value.manifests.forEach((d, i) => checkDescriptor(d, what, `/manifests/${i}`));
}

export function checkManifest(value: unknown, what: string): asserts value is ImageManifest {
  if (!isObject(value)) fail(what, '/', 'must be an object');
  if (value.schemaVersion !== 2) fail(what, '/schemaVersion', 'must be 2');
  checkDescriptor(value.config, what, '/config');
  if (!Array.isArray(value.layers)) fail(what, '/layers', 'must be a list');
  value.layers.forEach((d, i) => checkDescriptor(d, what, `/layers/${i}`));
}

export function checkConfig(value: unknown, what: string): asserts value is ImageConfig {
  if (!isObject(value)) fail(what, '/', 'must be an object');
  if (typeof value.architecture !== 'string') fail(what, '/architecture', 'must be a string');
  if (typeof value.os !== 'string') fail(what, '/os', 'must be a string');
  const rootfs = value.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers') fail(what, '/rootfs/type', 'must be "layers"');
  if (!Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string' && DIGEST.test(d))) {
    fail(what, '/rootfs/diff_ids', 'must be a list of sha256 digests');
  }
}
