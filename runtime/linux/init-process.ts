// The runtime's side of the conversation with native/mydocker-init, the container's first
// process (see the protocol at the top of that file). All calls block: the runtime's main
// thread is inside the container's namespaces while it talks to the helper, and must not
// return to the event loop until it has left them.
import fs = require('node:fs');
import path = require('node:path');
import { kill, SOCK_CLOEXEC, SOCK_SEQPACKET, socketpair, strerror, SyscallError } from '../../native/libc';
import { type ChildFd, reap, spawnProcess, waitForChild } from '../../native/spawn';
import { receiveWithFd, sendFds } from '../../native/terminal';
import { RuntimeError } from '../errors';

export interface SpawnInitOptions {
  /** What fds 0, 1, 2 of the container are: a parent fd, or /dev/null. */
  stdio: [ChildFd, ChildFd, ChildFd];
  /** Parent fds handed to the container as 3, 4, ... (--preserve-fds and LISTEN_FDS). */
  preservedFds: number[];
  /** The exec fifo, opened read-write (create only); it lands right after the preserved fds. */
  fifoFd?: number;
}

export interface Capabilities {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface ExecPlan {
  uid: number;
  gid: number;
  groups: number[];
  umask?: number;
  cwd: string;
  noNewPrivileges: boolean;
  /** undefined: leave the capabilities as they are (all of root's). */
  capabilities?: Capabilities;
  /** --no-pivot: chroot(".") into the moved rootfs first. */
  chrootDot: boolean;
  /** create: block on the exec fifo until `start`; exec: run the program at once. */
  waitForStart: boolean;
  /** The seccomp filter has SCMP_ACT_NOTIFY rules: the helper sends back the listener fd. */
  seccompListener?: boolean;
  capLastCap: number;
  path: string;
  args: string[];
  env: string[];
}

/** Where the helper binary lives: next to the bundled runtime in dist/. */
export function helperPath(): string {
  return process.env.MYDOCKER_INIT ?? path.join(__dirname, 'mydocker-init');
}

export class InitProcess {
  private reply = Buffer.alloc(4096);

  private constructor(
    private pidValue: number,
    private ctl: number,
    readonly fifoChildFd: number,
    readonly firstClosedFd: number,
  ) {}

  static spawn(options: SpawnInitOptions): InitProcess {
    const [parentEnd, childEnd] = socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC);
    const fifoChildFd = 3 + options.preservedFds.length;
    const ctlChildFd = fifoChildFd + 1;
    let pid: number;
    try {
      pid = spawnProcess({
        path: helperPath(),
        args: ['mydocker-init', String(ctlChildFd)],
        env: [],
        fds: [...options.stdio, ...options.preservedFds, options.fifoFd ?? 'devnull', childEnd],
        cwd: '/',
      });
    } catch (err) {
      fs.closeSync(parentEnd);
      throw new RuntimeError(`cannot start the container init helper ${helperPath()}: ${(err as Error).message}`);
    } finally {
      fs.closeSync(childEnd);
    }
    const init = new InitProcess(pid, parentEnd, fifoChildFd, fifoChildFd);
    init.expect('hello', 'start');
    return init;
  }

  /** The helper's host pid (after fork(): its child's). */
  get pid(): number {
    return this.pidValue;
  }

  /**
   * After the helper unshared a PID namespace: its child becomes the container's PID 1 and takes
   * over; the helper exits and is reaped here.
   */
  fork(): void {
    const parent = this.pidValue;
    fs.writeSync(this.ctl, Buffer.from('fork\0'));
    const n = fs.readSync(this.ctl, this.reply, 0, this.reply.length, null);
    const text = this.reply.subarray(0, n).toString();
    const m = /^pid (\d+)$/.exec(text);
    if (!m) throw new RuntimeError(`container init: fork: ${text || 'the helper exited'}`);
    this.pidValue = Number(m[1]);
    reap(parent);
  }

  /** In a new user namespace, once the id maps are written: become that namespace's uid/gid. */
  setIds(uid: number, gid: number): void {
    this.request(['setid', String(uid), String(gid)], 'setid');
  }

  /** The init's exit status (128 + signal if killed); only for the process that spawned it. */
  waitExit(): Promise<number> {
    return waitForChild(this.pid);
  }

  /** Sends one request; throws unless the helper answers "ok" (or `want`). */
  private request(fields: (string | Buffer)[], what: string, want = 'ok'): void {
    const parts = fields.map((f) => (typeof f === 'string' ? Buffer.from(`${f}\0`) : f));
    fs.writeSync(this.ctl, Buffer.concat(parts));
    this.expect(want, what);
  }

  private expect(want: string, what: string): void {
    let n: number;
    try {
      n = fs.readSync(this.ctl, this.reply, 0, this.reply.length, null);
    } catch (err) {
      throw new RuntimeError(`container init: ${what}: ${(err as Error).message}`);
    }
    const text = this.reply.subarray(0, n).toString();
    if (text === want) return;
    if (n === 0) throw new RuntimeError(`container init exited during ${what}`);
    const m = /^err (\d+) (.*)$/.exec(text);
    if (m) throw new SyscallError(m[2]!, Number(m[1]), what);
    throw new RuntimeError(`container init exited during ${what}`);
  }

  /** A mount that must be made from inside the container's PID namespace (proc). */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void {
    this.request(['mount', source, target, fstype, String(flags), data], target);
  }

  /** Joins the namespace behind `fd` (a CLONE_NEW* type): exec enters the container's mount namespace so. */
  joinNamespace(fd: number, nstype: number): void {
    sendFds(this.ctl, Buffer.from(`setns\0${nstype}\0`), [fd]);
    this.expect('ok', 'setns');
  }

  /** personality(2) (linux.personality): kept across execve. */
  personality(persona: number): void {
    this.request(['personality', String(persona)], 'personality');
  }

  /** New namespaces for the helper itself (a cgroup namespace once it is in the container's cgroup). */
  unshare(flags: number): void {
    this.request(['unshare', String(flags)], 'unshare');
  }

  /** The pty slave becomes the process' controlling terminal and stdio. */
  setConsole(slave: number): void {
    sendFds(this.ctl, Buffer.from('console\0'), [slave]);
    this.expect('ok', 'console');
  }

  chdir(dir: string): void {
    this.request(['chdir', dir], `chdir ${dir}`);
  }

  /** A raw BPF program (struct sock_filter[]) to load before exec. */
  seccomp(flags: number, program: Buffer): void {
    this.request(['seccomp', String(flags), program], 'seccomp');
  }

  /**
   * Hands over the process; returns once the helper blocks on the exec fifo (create) or has
   * exec'd (exec). Returns the seccomp listener fd when the plan asked for one.
   */
  exec(plan: ExecPlan): number | undefined {
    const hex = (v: bigint | undefined) => (v === undefined ? '' : v.toString(16));
    const caps = plan.capabilities;
    const fields = [
      'exec',
      String(plan.uid),
      String(plan.gid),
      plan.groups.join(','),
      plan.umask === undefined ? '' : plan.umask.toString(8),
      plan.cwd,
      plan.noNewPrivileges ? '1' : '0',
      caps ? hex(caps.bounding) : '',
      hex(caps?.effective),
      hex(caps?.permitted),
      hex(caps?.inheritable),
      hex(caps?.ambient),
      plan.chrootDot ? '1' : '0',
      plan.waitForStart ? String(this.fifoChildFd) : '-1',
      String(this.firstClosedFd),
      String(plan.capLastCap),
      plan.path,
      String(plan.args.length),
      ...plan.args,
      String(plan.env.length),
      ...plan.env,
    ];
    let listener: number | undefined;
    try {
      fs.writeSync(this.ctl, Buffer.concat(fields.map((f) => Buffer.from(`${f}\0`))));
      if (plan.seccompListener) listener = this.receiveListener();
      // create: "ready" once blocked on the fifo; exec: EOF, when execve closed the socket.
      this.expect(plan.waitForStart ? 'ready' : '', 'exec setup');
      return listener;
    } catch (err) {
      if (listener !== undefined) fs.closeSync(listener);
      if (err instanceof SyscallError) {
        const detail = err.syscall === 'chdir to cwd' ? `chdir to cwd ("${plan.cwd}") set in config.json failed` : err.syscall;
        throw new RuntimeError(`container init: ${detail}: ${strerror(err.errno)}`);
      }
      throw err;
    }
  }

  private receiveListener(): number {
    const { length, fd } = receiveWithFd(this.ctl, this.reply);
    const text = this.reply.subarray(0, length).toString();
    if (text === 'listener' && fd !== undefined) return fd;
    if (fd !== undefined) fs.closeSync(fd);
    const m = /^err (\d+) (.*)$/.exec(text);
    if (m) throw new RuntimeError(`container init: ${m[2]}: ${strerror(Number(m[1]))}`);
    throw new RuntimeError('container init: no seccomp listener fd came back');
  }

  close(): void {
    if (this.ctl >= 0) fs.closeSync(this.ctl);
    this.ctl = -1;
  }

  /** Ends the helper (on a failed create). */
  destroy(): void {
    this.close();
    kill(this.pid, 9);
  }
}
