// Where the manager keeps everything. One root (persistent: images, layers, containers,
// volumes, network leases) and one run root (volatile: the runtime's state, monitor sockets).
// Both can be moved (--root/--run-root or MYDOCKER_ROOT/MYDOCKER_RUN_ROOT): the tests give each
// file its own.
import path = require('node:path');

export const DEFAULT_ROOT = '/var/lib/mydocker';
export const DEFAULT_RUN_ROOT = '/run/mydocker';

export interface ManagerPaths {
  root: string;
  runRoot: string;
  /** the OCI image layout (oci-layout, index.json, blobs/sha256/...) that umoci and skopeo read */
  images: string;
  /** unpacked layers, one directory per layer (overlay lower dirs) */
  layers: string;
  /** one directory per container: metadata, bundle, upper/work dirs, log */
  containers: string;
  /** named volumes: <name>/_data */
  volumes: string;
  /** CNI: network configuration, result cache and IP leases */
  network: string;
  /** downloads in progress (kept for resume) and other scratch files on the same filesystem */
  tmp: string;
  /** the --root given to mydocker-runtime for the manager's containers */
  runtimeRoot: string;
  /** lock files */
  locks: string;
}

export function managerPaths(root: string, runRoot: string): ManagerPaths {
  return {
    root,
    runRoot,
    images: path.join(root, 'images'),
    layers: path.join(root, 'layers'),
    containers: path.join(root, 'containers'),
    volumes: path.join(root, 'volumes'),
    network: path.join(root, 'network'),
    tmp: path.join(root, 'tmp'),
    runtimeRoot: path.join(runRoot, 'runtime'),
    locks: path.join(runRoot, 'locks'),
  };
}
