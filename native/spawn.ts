// Starting and reaping a child without node:child_process: posix_spawn through koffi. It is
// safe in a multithreaded process (glibc uses clone(CLONE_VM|CLONE_VFORK) and runs no JS in
// the child), starts from the calling thread (so the child inherits the namespaces the main
// thread has entered), and costs a fraction of loading child_process and a ChildProcess.
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';
import { pidfdOpen, SyscallError } from './libc';

const libc = koffi.load('libc.so.6');
const posixSpawn = lazyFunc(
  libc,
  'int posix_spawn(_Out_ int *pid, const char *path, void *fileActions, void *attr, const char **argv, const char **envp)',
);
const actionsInit = lazyFunc(libc, 'int posix_spawn_file_actions_init(void *fa)');
const actionsDestroy = lazyFunc(libc, 'int posix_spawn_file_actions_destroy(void *fa)');
const actionsDup2 = lazyFunc(libc, 'int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)');
const actionsOpen = lazyFunc(libc, 'int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int flags, uint32_t mode)');
const actionsChdir = lazyFunc(libc, 'int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)');
const attrInit = lazyFunc(libc, 'int posix_spawnattr_init(void *attr)');
const attrDestroy = lazyFunc(libc, 'int posix_spawnattr_destroy(void *attr)');
const attrSetFlags = lazyFunc(libc, 'int posix_spawnattr_setflags(void *attr, short flags)');
const attrSetSigmask = lazyFunc(libc, 'int posix_spawnattr_setsigmask(void *attr, void *sigset)');
const attrSetSigdefault = lazyFunc(libc, 'int posix_spawnattr_setsigdefault(void *attr, void *sigset)');
const sigemptyset = lazyFunc(libc, 'int sigemptyset(void *set)');
const sigfillset = lazyFunc(libc, 'int sigfillset(void *set)');
const waitidRaw = lazyFunc(libc, 'int waitid(int idtype, int id, void *infop, int options)');
const fcntlDupfd = lazyFunc(libc, 'int fcntl(int fd, int cmd, int arg)');

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const F_DUPFD_CLOEXEC = 1030;
const P_PIDFD = 3;
const WEXITED = 4;
const WNOHANG = 1;
const CLD_EXITED = 1;
const O_RDWR = 2;

/** A child fd: a parent fd to dup2 there, or /dev/null. */
export type ChildFd = number | 'devnull';

export interface SpawnOptions {
  path: string;
  args: string[];
  env: string[];
  /** fds[i] becomes fd i in the child; everything else the parent has open is close-on-exec. */
  fds: ChildFd[];
  cwd: string;
}

function ok(ret: number, what: string): void {
  if (ret !== 0) throw new SyscallError(what, ret, 'posix_spawn');
}

/** Spawns a process with default signal dispositions and an empty signal mask; returns its pid. */
export function spawnProcess(options: SpawnOptions): number {
  const actions = Buffer.alloc(256);
  const attr = Buffer.alloc(512);
  const sigset = Buffer.alloc(128);
  ok(actionsInit(actions), 'posix_spawn_file_actions_init');
  ok(attrInit(attr), 'posix_spawnattr_init');
  // Move every source fd above the child's range first, so no dup2 clobbers a later source.
  const lifted: number[] = [];
  try {
    const top = options.fds.length;
    options.fds.forEach((fd, target) => {
      if (fd === 'devnull') {
        ok(actionsOpen(actions, target, '/dev/null', O_RDWR, 0), 'posix_spawn_file_actions_addopen');
        return;
      }
      let source = fd;
      if (fd !== target) {
        source = fcntlDupfd(fd, F_DUPFD_CLOEXEC, top);
        if (source < 0) throw new SyscallError('fcntl F_DUPFD_CLOEXEC', koffi.errno(), `fd ${fd}`);
        lifted.push(source);
      }
      // dup2 onto itself clears FD_CLOEXEC (POSIX 2018, glibc >= 2.29).
      ok(actionsDup2(actions, source, target), 'posix_spawn_file_actions_adddup2');
    });
    ok(actionsChdir(actions, options.cwd), 'posix_spawn_file_actions_addchdir_np');
    ok(attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), 'posix_spawnattr_setflags');
    sigemptyset(sigset);
    ok(attrSetSigmask(attr, sigset), 'posix_spawnattr_setsigmask');
    sigfillset(sigset);
    ok(attrSetSigdefault(attr, sigset), 'posix_spawnattr_setsigdefault');
    const pid = [0];
    const ret = posixSpawn(pid, options.path, actions, attr, [...options.args, null], [...options.env, null]);
    if (ret !== 0) throw new SyscallError('posix_spawn', ret, options.path);
    return pid[0]!;
  } finally {
    for (const fd of lifted) closeFd(fd);
    actionsDestroy(actions);
    attrDestroy(attr);
  }
}

const closeRaw = lazyFunc(libc, 'int close(int fd)');
function closeFd(fd: number): void {
  closeRaw(fd);
}

/** How a child ended: the status it exited with, or the signal that killed it. */
export type ChildEnd = { code: number; signal?: undefined } | { code?: undefined; signal: number };

/** Reaps the child if it has ended (undefined: still running). */
export function reapEndIfExited(pidfd: number): ChildEnd | undefined {
  const info = Buffer.alloc(128);
  if (waitidRaw(P_PIDFD, pidfd, info, WEXITED | WNOHANG) !== 0) {
    throw new SyscallError('waitid', koffi.errno(), `pidfd ${pidfd}`);
  }
  const pid = info.readInt32LE(16);
  if (pid === 0) return undefined; // still running
  const code = info.readInt32LE(8);
  const status = info.readInt32LE(24);
  return code === CLD_EXITED ? { code: status } : { signal: status };
}

/** How a child ended: its exit code, or 128 + the signal that killed it (the shell's convention). */
export function reapIfExited(pidfd: number): number | undefined {
  const end = reapEndIfExited(pidfd);
  if (end === undefined) return undefined;
  return end.signal === undefined ? end.code : 128 + end.signal;
}

/**
 * Resolves with how the child ended once it does. SIGCHLD wakes us; signal listeners do not
 * keep Node's event loop alive, so a slow timer does (and would catch a lost signal).
 */
export function waitForChildEnd(pid: number): Promise<ChildEnd> {
  const pidfd = pidfdOpen(pid);
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => check(), 1000);
    const stop = () => {
      process.off('SIGCHLD', check);
      clearInterval(timer);
    };
    const check = () => {
      try {
        const end = reapEndIfExited(pidfd);
        if (end === undefined) return;
        stop();
        closeFd(pidfd);
        resolve(end);
      } catch (err) {
        stop();
        reject(err);
      }
    };
    process.on('SIGCHLD', check);
    check();
  });
}

/** Resolves with the child's exit status (128 + signal when a signal ended it) once it ends. */
export function waitForChild(pid: number): Promise<number> {
  return waitForChildEnd(pid).then((end) => (end.signal === undefined ? end.code : 128 + end.signal));
}

const P_PID = 1;
/** Blocks until the child `pid` has exited and reaps it. */
export function reap(pid: number): void {
  const info = Buffer.alloc(128);
  while (waitidRaw(P_PID, pid, info, WEXITED) !== 0) {
    const errno = koffi.errno();
    if (errno !== 4 /* EINTR */) throw new SyscallError('waitid', errno, `pid ${pid}`);
  }
}
