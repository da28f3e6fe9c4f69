// The new mount API, for idmapped mounts: clone a tree detached (open_tree), give it an id
// mapping (mount_setattr with MOUNT_ATTR_IDMAP and a user namespace fd), attach it (move_mount).
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { SyscallError } from './libc';

const libc = koffi.load('libc.so.6');
const openTreeRaw = lazyFunc(libc, 'long syscall(long nr, int dfd, const char *path, uint32_t flags)');
const mountSetattrRaw = lazyFunc(libc, 'long syscall(long nr, int dfd, const char *path, uint32_t flags, void *attr, size_t size)');
const moveMountRaw = lazyFunc(libc, 'long syscall(long nr, int fromDfd, const char *fromPath, int toDfd, const char *toPath, uint32_t flags)');

const NR: Record<string, { open_tree: number; move_mount: number; mount_setattr: number }> = {
  x64: { open_tree: 428, move_mount: 429, mount_setattr: 442 },
  arm64: { open_tree: 428, move_mount: 429, mount_setattr: 442 },
};
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const MOUNT_ATTR_IDMAP = 0x00100000;
const MOVE_MOUNT_F_EMPTY_PATH = 0x00000004;

function nr() {
  const n = NR[process.arch];
  if (!n) throw new Error(`unsupported architecture ${process.arch}`);
  return n;
}

/** Bind-mounts source on target through an id mapping (the user namespace behind usernsFd). */
export function idmappedBind(source: string, target: string, usernsFd: number, recursive: boolean): void {
  const tree = Number(openTreeRaw(nr().open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
  if (tree < 0) throw new SyscallError('open_tree', koffi.errno(), source);
  const closeTree = lazyFunc(libc, 'int close(int fd)');
  try {
    const attr = Buffer.alloc(32); // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
    attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_IDMAP), 0);
    attr.writeBigUInt64LE(BigInt(usernsFd), 24);
    if (Number(mountSetattrRaw(nr().mount_setattr, tree, '', AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), attr, attr.length)) < 0) {
      throw new SyscallError('mount_setattr MOUNT_ATTR_IDMAP', koffi.errno(), source);
    }
    if (Number(moveMountRaw(nr().move_mount, tree, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)) < 0) {
      throw new SyscallError('move_mount', koffi.errno(), target);
    }
  } finally {
    closeTree(tree);
  }
}
