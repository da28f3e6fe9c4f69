// Pseudo-terminals and fd passing: a pty pair from the container's devpts, its window size,
// and sending a pty master to a --console-socket by SCM_RIGHTS (what containerd and conmon wait for).
import fs = require('node:fs');
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { SyscallError } from './libc';

const libc = koffi.load('libc.so.6');
const ioctlIntPtr = lazyFunc(libc, 'int ioctl(int fd, unsigned long request, _Inout_ int *arg)');
const ioctlInt = lazyFunc(libc, 'int ioctl(int fd, unsigned long request, int arg)');
const ioctlBuffer = lazyFunc(libc, 'int ioctl(int fd, unsigned long request, void *arg)');
const socketRaw = lazyFunc(libc, 'int socket(int domain, int type, int protocol)');
const connectRaw = lazyFunc(libc, 'int connect(int fd, void *addr, uint32_t len)');
koffi.struct('mydocker_iovec', { iov_base: 'void *', iov_len: 'size_t' });
koffi.struct('mydocker_msghdr', {
  msg_name: 'void *',
  msg_namelen: 'uint32_t',
  msg_iov: 'mydocker_iovec *',
  msg_iovlen: 'size_t',
  msg_control: 'void *',
  msg_controllen: 'size_t',
  msg_flags: 'int',
});
const sendmsgRaw = lazyFunc(libc, 'long sendmsg(int fd, const mydocker_msghdr *msg, int flags)');

const TIOCGPTN = 0x80045430;
const TIOCSPTLCK = 0x40045431;
const TIOCGPTPEER = 0x5441;
const TIOCSWINSZ = 0x5414;
const O_RDWR = 2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;

export interface PtyPair {
  master: number;
  slave: number;
  /** e.g. /dev/pts/0, inside the devpts the pair came from. */
  slavePath: string;
}

function check(ret: number, call: string, target: string): number {
  if (ret < 0) throw new SyscallError(call, koffi.errno(), target);
  return ret;
}

/** Opens a pty pair from `ptmx` (the container's /dev/ptmx, once the caller is inside its root). */
export function openPty(ptmx = '/dev/ptmx'): PtyPair {
  const master = fs.openSync(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  try {
    check(ioctlIntPtr(master, TIOCSPTLCK, [0]), 'ioctl TIOCSPTLCK', ptmx);
    const n = [0];
    check(ioctlIntPtr(master, TIOCGPTN, n), 'ioctl TIOCGPTN', ptmx);
    const slave = check(ioctlInt(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC), 'ioctl TIOCGPTPEER', ptmx);
    return { master, slave, slavePath: `/dev/pts/${n[0]}` };
  } catch (err) {
    fs.closeSync(master);
    throw err;
  }
}

export function setWindowSize(fd: number, rows: number, columns: number): void {
  const size = Buffer.alloc(8);
  size.writeUInt16LE(rows, 0);
  size.writeUInt16LE(columns, 2);
  check(ioctlBuffer(fd, TIOCSWINSZ, size), 'ioctl TIOCSWINSZ', `fd ${fd}`);
}

/** Connects to an AF_UNIX stream socket by path. */
export function connectUnix(socketPath: string): number {
  const fd = check(socketRaw(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 'socket', socketPath);
  const address = Buffer.alloc(110);
  address.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(socketPath) > 107) throw new SyscallError('connect', 36 /* ENAMETOOLONG */, socketPath);
  address.write(socketPath, 2);
  if (connectRaw(fd, address, 2 + Buffer.byteLength(socketPath) + 1) < 0) {
    const errno = koffi.errno();
    fs.closeSync(fd);
    throw new SyscallError('connect', errno, socketPath);
  }
  return fd;
}

/** Sends `payload` with the given fds attached (SCM_RIGHTS) in one message. */
export function sendFds(socket: number, payload: Buffer, fds: readonly number[]): void {
  const dataLength = 4 * fds.length;
  const control = Buffer.alloc(16 + Math.ceil(dataLength / 8) * 8);
  control.writeBigUInt64LE(BigInt(16 + dataLength), 0); // cmsg_len = CMSG_LEN(n * sizeof(int))
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((fd, i) => control.writeInt32LE(fd, 16 + 4 * i));
  const body = payload.length > 0 ? payload : Buffer.from([0]);
  const msg = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: body, iov_len: body.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control.length,
    msg_flags: 0,
  };
  const sent = Number(sendmsgRaw(socket, msg, MSG_NOSIGNAL));
  check(sent, 'sendmsg', `fd ${socket}`);
}

const recvmsgRaw = lazyFunc(libc, 'long recvmsg(int fd, _Inout_ mydocker_msghdr *msg, int flags)');
const MSG_CMSG_CLOEXEC = 0x40000000;

/** Receives one message into `buffer`, and the fd attached to it if there is one. */
export function receiveWithFd(socket: number, buffer: Buffer): { length: number; fd?: number } {
  const control = Buffer.alloc(24);
  const msg = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: buffer, iov_len: buffer.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control.length,
    msg_flags: 0,
  };
  const length = check(Number(recvmsgRaw(socket, msg, MSG_CMSG_CLOEXEC)), 'recvmsg', `fd ${socket}`);
  const hasFd = Number(control.readBigUInt64LE(0)) >= 20 && control.readInt32LE(8) === SOL_SOCKET && control.readInt32LE(12) === SCM_RIGHTS;
  return hasFd ? { length, fd: control.readInt32LE(16) } : { length };
}
