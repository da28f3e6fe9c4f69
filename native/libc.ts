// Every libc call the runtime makes goes through this file: one koffi binding per
// function, plus a helper that turns a -1 return into a typed SyscallError.
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import fs = require('node:fs');
import { ERRNO, errnoName } from './linux-constants';
import { registerHardExit } from './exit';

const libc = koffi.load('libc.so.6');
registerHardExit(libc.func('void _exit(int status)'));

/** A failed system call: names the call, what it acted on, and the errno. */
export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly target: string,
  ) {
    super(`${syscall} ${target}: ${strerror(errno)}`);
    this.name = 'SyscallError';
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

const strerrorRaw = lazyFunc(libc, 'const char *strerror(int errnum)');
export function strerror(errno: number): string {
  return String(strerrorRaw(errno)).toLowerCase();
}


function check(ret: number | bigint, syscall: string, target: string): number {
  const value = Number(ret);
  if (value < 0) throw new SyscallError(syscall, koffi.errno(), target);
  return value;
}

// --- syscall numbers (x86_64 and aarch64 differ; these are the ones we use)
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: { pivot_root: 155, pidfd_open: 434, pidfd_send_signal: 424, close_range: 436 },
  arm64: { pivot_root: 41, pidfd_open: 434, pidfd_send_signal: 424, close_range: 436 },
};
const NR = SYSCALLS[process.arch];
function nr(name: string): number {
  const n = NR?.[name];
  if (n === undefined) throw new Error(`${name}: unsupported architecture ${process.arch}`);
  return n;
}

const syscallStrStr = lazyFunc(libc, 'long syscall(long nr, const char *a, const char *b)');
const syscallIntUint = lazyFunc(libc, 'long syscall(long nr, int a, uint b)');
const syscallIntIntPtrUint = lazyFunc(libc, 'long syscall(long nr, int a, int b, void *c, uint d)');

export function pivotRoot(newRoot: string, putOld: string): void {
  check(syscallStrStr(nr('pivot_root'), newRoot, putOld), 'pivot_root', newRoot);
}

export function pidfdOpen(pid: number): number {
  return check(syscallIntUint(nr('pidfd_open'), pid, 0), 'pidfd_open', String(pid));
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  check(syscallIntIntPtrUint(nr('pidfd_send_signal'), pidfd, signal, null, 0), 'pidfd_send_signal', `signal ${signal}`);
}

// --- namespaces
const unshareRaw = lazyFunc(libc, 'int unshare(int flags)');
const setnsRaw = lazyFunc(libc, 'int setns(int fd, int nstype)');
export function unshare(flags: number): void {
  check(unshareRaw(flags), 'unshare', `0x${flags.toString(16)}`);
}
export function setns(fd: number, nstype: number, what: string): void {
  check(setnsRaw(fd, nstype), 'setns', what);
}

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x00000080,
  FS: 0x00000200,
} as const;

// --- mounts
const mountRaw = lazyFunc(libc, 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const umount2Raw = lazyFunc(libc, 'int umount2(const char *target, int flags)');
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(mountRaw(source, target, fstype, flags, data), 'mount', `${source ?? 'none'} on ${target}${fstype ? ` (${fstype})` : ''}`);
}
export function umount2(target: string, flags: number): void {
  check(umount2Raw(target, flags), 'umount2', target);
}

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;
export const MNT_DETACH = 2;

// --- identity, files, processes
const sethostnameRaw = lazyFunc(libc, 'int sethostname(const char *name, size_t len)');
const setdomainnameRaw = lazyFunc(libc, 'int setdomainname(const char *name, size_t len)');
export function sethostname(name: string): void {
  check(sethostnameRaw(name, Buffer.byteLength(name)), 'sethostname', name);
}
export function setdomainname(name: string): void {
  check(setdomainnameRaw(name, Buffer.byteLength(name)), 'setdomainname', name);
}

const chdirRaw = lazyFunc(libc, 'int chdir(const char *path)');
const fchdirRaw = lazyFunc(libc, 'int fchdir(int fd)');
export function fchdir(fd: number, what: string): void {
  check(fchdirRaw(fd), 'fchdir', what);
}
const chrootRaw = lazyFunc(libc, 'int chroot(const char *path)');
export function chdir(path: string): void {
  check(chdirRaw(path), 'chdir', path);
}
export function chroot(path: string): void {
  check(chrootRaw(path), 'chroot', path);
}

const mknodRaw = lazyFunc(libc, 'int mknod(const char *path, uint32_t mode, uint64_t dev)');
export function mknod(path: string, mode: number, dev: bigint): void {
  check(mknodRaw(path, mode, dev), 'mknod', path);
}
/** The kernel's device number encoding (glibc's makedev). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

// --- extended attributes (the layer store: overlay whiteout markers, xattrs from image layers).
// Paths go in as NUL-terminated bytes: layer entry names are byte strings, not always UTF-8.
const lsetxattrRaw = lazyFunc(libc, 'int lsetxattr(const void *path, const char *name, const void *value, size_t size, int flags)');
const lgetxattrRaw = lazyFunc(libc, 'long lgetxattr(const void *path, const char *name, _Out_ void *value, size_t size)');
function cPath(p: string | Buffer): Buffer {
  return Buffer.concat([typeof p === 'string' ? Buffer.from(p) : p, Buffer.alloc(1)]);
}
export function lsetxattr(path: string | Buffer, name: string, value: Buffer): void {
  check(lsetxattrRaw(cPath(path), name, value, value.length, 0), `lsetxattr ${name}`, path.toString());
}
/** The value of xattr name on path (not following a final symlink), or null when it has none. */
export function lgetxattr(path: string | Buffer, name: string): Buffer | null {
  const buf = Buffer.alloc(65536);
  const n = Number(lgetxattrRaw(cPath(path), name, buf, buf.length));
  if (n >= 0) return buf.subarray(0, n);
  const errno = koffi.errno();
  if (errno === ERRNO.ENODATA) return null;
  throw new SyscallError(`lgetxattr ${name}`, errno, path.toString());
}

const mkfifoRaw = lazyFunc(libc, 'int mkfifo(const char *path, uint32_t mode)');
export function mkfifo(path: string, mode: number): void {
  check(mkfifoRaw(path, mode), 'mkfifo', path);
}

const flockRaw = lazyFunc(libc, 'int flock(int fd, int op)');
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_UN = 8;
export function flock(fd: number, op: number, what: string): void {
  check(flockRaw(fd, op), 'flock', what);
}

const killRaw = lazyFunc(libc, 'int kill(int pid, int sig)');
/** kill(pid, sig); returns false when the process does not exist (ESRCH). */
export function kill(pid: number, signal: number): boolean {
  if (killRaw(pid, signal) === 0) return true;
  const errno = koffi.errno();
  if (errno === ERRNO.ESRCH) return false;
  throw new SyscallError('kill', errno, `pid ${pid}`);
}

const socketpairRaw = lazyFunc(libc, 'int socketpair(int domain, int type, int protocol, _Out_ int *sv)');
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = 0o2000000;
export function socketpair(type: number): [number, number] {
  const sv = [0, 0];
  check(socketpairRaw(AF_UNIX, type, 0, sv), 'socketpair', 'AF_UNIX');
  return [sv[0]!, sv[1]!];
}

const pipe2Raw = lazyFunc(libc, 'int pipe2(_Out_ int *fds, int flags)');
export const O_CLOEXEC = 0o2000000;
/** A pipe, both ends close-on-exec: [read end, write end]. */
export function pipe2(flags = O_CLOEXEC): [number, number] {
  const fds = [0, 0];
  check(pipe2Raw(fds, flags), 'pipe2', 'pipe');
  return [fds[0]!, fds[1]!];
}

const PollFd = koffi.struct('pollfd', { fd: 'int', events: 'short', revents: 'short' });
const pollRaw = lazyFunc(libc, 'int poll(_Inout_ pollfd *fds, unsigned long nfds, int timeout)');
export const POLLIN = 1;
/** Waits up to timeoutMs for fd to become readable; returns whether it did. */
export function pollReadable(fd: number, timeoutMs: number): boolean {
  const pfd = { fd, events: POLLIN, revents: 0 };
  const n = check(pollRaw(pfd, 1, timeoutMs), 'poll', `fd ${fd}`);
  void PollFd;
  return n > 0 && (pfd.revents & POLLIN) !== 0;
}

const Rlimit = koffi.struct('rlimit64', { cur: 'uint64_t', max: 'uint64_t' });
const prlimitRaw = lazyFunc(libc, 'int prlimit64(int pid, int resource, const rlimit64 *newLimit, _Out_ rlimit64 *oldLimit)');
export const RLIM_INFINITY = 0xffffffffffffffffn;
export function prlimit(pid: number, resource: number, soft: bigint, hard: bigint, what: string): void {
  void Rlimit;
  check(prlimitRaw(pid, resource, { cur: soft, max: hard }, null), 'prlimit', what);
}

const fcntlRaw = lazyFunc(libc, 'int fcntl(int fd, int cmd, int arg)');
export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;
export function setCloexec(fd: number, on: boolean): void {
  const flags = check(fcntlRaw(fd, F_GETFD, 0), 'fcntl', `fd ${fd}`);
  check(fcntlRaw(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC), 'fcntl', `fd ${fd}`);
}
export function fdIsOpen(fd: number): boolean {
  return fcntlRaw(fd, F_GETFD, 0) >= 0;
}

const ioctlIntRaw = lazyFunc(libc, 'int ioctl(int fd, unsigned long request, int arg)');
const NS_GET_NSTYPE = 0xb703;
/** The CLONE_NEW* type of a namespace fd, or -1 when fd is not a namespace. */
export function namespaceType(fd: number): number {
  return ioctlIntRaw(fd, NS_GET_NSTYPE, 0);
}

const socketRaw = lazyFunc(libc, 'int socket(int domain, int type, int protocol)');
const ioctlPtrRaw = lazyFunc(libc, 'int ioctl(int fd, unsigned long request, void *arg)');
const closeRaw = lazyFunc(libc, 'int close(int fd)');
const memfdCreateRaw = lazyFunc(libc, 'int memfd_create(const char *name, unsigned int flags)');
const MFD_CLOEXEC = 1;

/** An anonymous file (close-on-exec): a child's captured output, or input it reads from the start. */
export function memfdCreate(name: string): number {
  return check(memfdCreateRaw(name, MFD_CLOEXEC), 'memfd_create', name);
}

/** The whole content of a file (a memfd) from offset 0, whatever its descriptor's offset. */
export function readFromStart(fd: number): Buffer {
  const size = fs.fstatSync(fd).size;
  const bytes = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, bytes, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? bytes : bytes.subarray(0, done);
}

const malloptRaw = lazyFunc(libc, 'int mallopt(int param, int value)');
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
/**
 * For a process that streams through many large buffers (a pull: socket and file reads, zlib's
 * output): glibc gives a freed block of 128 KB or more back to the kernel (munmap, or trimming
 * the heap's top), and the next buffer is faulted in again, page by page; a page fault costs
 * about 10 us on the VMs we measure on. Blocks up to 32 MB now come from the heap and stay
 * there for reuse until 32 MB are free at its top. Measured on a pull of the 53 MB bench image:
 * 18.2k -> 12.5k page faults, 1109 -> 987 ms median (same-run A/B), peak RSS the same (82 MB).
 */
export function keepFreedMemory(): void {
  malloptRaw(M_MMAP_THRESHOLD, 32 << 20);
  malloptRaw(M_TRIM_THRESHOLD, 32 << 20);
}

const isattyRaw = lazyFunc(libc, 'int isatty(int fd)');

/** Whether fd is a terminal (what node:tty's isatty says, without loading node:tty and node:net: about 6 ms). */
export function isatty(fd: number): boolean {
  return isattyRaw(fd) === 1;
}
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
/** struct ifreq: the interface name (IFNAMSIZ 16), then a union whose first short is ifr_flags. */
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;
/**
 * Sets an interface of the calling thread's network namespace up (`ip link set NAME up`, without
 * a process): the socket belongs to the namespace the thread is in when it is made.
 */
export function interfaceUp(name: string): void {
  const fd = check(socketRaw(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket', 'AF_INET');
  try {
    const ifreq = Buffer.alloc(IFREQ_SIZE);
    if (Buffer.byteLength(name) >= IFNAMSIZ) throw new SyscallError('ioctl SIOCGIFFLAGS', ERRNO.EINVAL, name);
    ifreq.write(name, 0, 'latin1');
    check(ioctlPtrRaw(fd, SIOCGIFFLAGS, ifreq), 'ioctl SIOCGIFFLAGS', name);
    ifreq.writeUInt16LE(ifreq.readUInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
    check(ioctlPtrRaw(fd, SIOCSIFFLAGS, ifreq), 'ioctl SIOCSIFFLAGS', name);
  } finally {
    closeRaw(fd);
  }
}

const keyctlRaw = lazyFunc(libc, 'long syscall(long nr, int op, const char *name)');
const keyctlSetpermRaw = lazyFunc(libc, 'long syscall(long nr, int op, int key, uint32_t perm)');
const KEYCTL_JOIN_SESSION_KEYRING = 1;
const KEYCTL_SETPERM = 5;
const SYS_KEYCTL: Record<string, number> = { x64: 250, arm64: 219 };
/**
 * Joins a new session keyring (per-thread credentials: the init spawned from this thread
 * inherits it), so the container does not share the caller's keys. Returns false where the
 * kernel has no keyrings.
 */
export function joinSessionKeyring(name: string): boolean {
  const nrKeyctl = SYS_KEYCTL[process.arch] ?? 250;
  const key = Number(keyctlRaw(nrKeyctl, KEYCTL_JOIN_SESSION_KEYRING, name));
  if (key < 0) {
    const errno = koffi.errno();
    if (errno === ERRNO.ENOSYS) return false;
    throw new SyscallError('keyctl join_session_keyring', errno, name);
  }
  // possessor: everything; user: view, read, search, link (the default plus search, as runc does)
  check(keyctlSetpermRaw(nrKeyctl, KEYCTL_SETPERM, key, 0x3f1b0000), 'keyctl setperm', name);
  return true;
}

const setfsuidRaw = lazyFunc(libc, 'int setfsuid(uint32_t uid)');
const setfsgidRaw = lazyFunc(libc, 'int setfsgid(uint32_t gid)');
/**
 * Runs fn with the calling thread's filesystem ids set to uid/gid (setfsuid is per thread), so
 * that what it creates belongs to them; e.g. inside a filesystem a user namespace owns, where
 * our own root is not mapped (the kernel answers EOVERFLOW).
 */
export function withFsIds<T>(uid: number, gid: number, fn: () => T): T {
  const oldGid = setfsgidRaw(gid);
  const oldUid = setfsuidRaw(uid);
  try {
    return fn();
  } finally {
    setfsuidRaw(oldUid);
    setfsgidRaw(oldGid);
  }
}

const prctlRaw = lazyFunc(libc, 'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
const PR_SET_CHILD_SUBREAPER = 36;
/** Orphaned descendants are reparented to us (run waits for a container init forked by the helper). */
export function becomeSubreaper(): void {
  check(prctlRaw(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 'prctl PR_SET_CHILD_SUBREAPER', 'self');
}
