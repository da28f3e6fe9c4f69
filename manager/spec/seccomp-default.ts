// The default seccomp profile, in docker's profile format (the one `--security-opt seccomp=FILE`
// takes), with docker's semantics: every syscall not allowed here fails with EPERM; syscalls that
// only make sense with a capability (mount, unshare, setns, ... need CAP_SYS_ADMIN) are allowed
// only when the container has that capability; architecture-specific calls only on that
// architecture. Kernel keyring calls (keyctl, add_key, request_key), module loading, kexec,
// swapon, reboot, clock setting, userfaultfd and the like stay denied.
// The data is grouped by what the calls are for; seccomp.ts resolves it into linux.seccomp.
import type { DockerSeccompProfile, DockerSeccompRule } from './seccomp';

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** Allowed for every container (no capability needed). */
const ALWAYS_ALLOWED: Record<string, string[]> = {
  processes: words(`
    fork vfork execve execveat exit exit_group wait4 waitid waitpid kill tkill tgkill
    getpid getppid gettid getpgid getpgrp setpgid getsid setsid set_tid_address set_robust_list
    get_robust_list restart_syscall rseq prctl pidfd_open pidfd_send_signal process_mrelease seccomp
    capget capset`),
  credentials: words(`
    getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32
    getresgid getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32
    setregid setregid32 setresuid setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid
    setfsgid32 setgroups setgroups32`),
  signals: words(`
    rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
    rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack signalfd signalfd4
    sigprocmask sigreturn pause alarm`),
  time: words(`
    adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
    clock_gettime64 clock_nanosleep clock_nanosleep_time64 nanosleep gettimeofday time times
    getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
    timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
    timerfd_settime64`),
  fileIo: words(`
    access faccessat faccessat2 open openat openat2 creat close close_range read readv pread64
    preadv preadv2 write writev pwrite64 pwritev pwritev2 lseek _llseek dup dup2 dup3 fcntl fcntl64
    flock fsync fdatasync sync syncfs sync_file_range fallocate fadvise64 fadvise64_64 readahead
    truncate truncate64 ftruncate ftruncate64 copy_file_range sendfile sendfile64 splice tee
    vmsplice ioctl`),
  fileMetadata: words(`
    stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx statfs statfs64 fstatfs
    fstatfs64 chmod fchmod fchmodat chown chown32 fchown fchown32 fchownat lchown lchown32 utime
    utimes utimensat utimensat_time64 futimesat umask`),
  directories: words(`
    chdir fchdir getcwd mkdir mkdirat rmdir rename renameat renameat2 link linkat symlink
    symlinkat unlink unlinkat readlink readlinkat getdents getdents64 mknod mknodat
    name_to_handle_at`),
  xattrs: words(`
    getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr
    removexattr lremovexattr fremovexattr`),
  memory: words(`
    brk mmap mmap2 munmap mremap mprotect madvise mincore mlock mlock2 mlockall munlock munlockall
    msync membarrier memfd_create memfd_secret remap_file_pages pkey_alloc pkey_free
    pkey_mprotect`),
  polling: words(`
    select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create epoll_create1
    epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2
    inotify_init inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark`),
  asyncIo: words(`
    io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64
    io_uring_setup io_uring_enter io_uring_register ioprio_get ioprio_set futex futex_time64
    futex_waitv`),
  ipc: words(`
    ipc msgctl msgget msgrcv msgsnd semctl semget semop semtimedop semtimedop_time64 shmat shmctl
    shmdt shmget mq_open mq_unlink mq_getsetattr mq_notify mq_timedreceive mq_timedreceive_time64
    mq_timedsend mq_timedsend_time64 pipe pipe2`),
  sockets: words(`
    accept accept4 bind connect listen getpeername getsockname getsockopt setsockopt recv recvfrom
    recvmsg recvmmsg recvmmsg_time64 send sendto sendmsg sendmmsg shutdown socketcall socketpair`),
  scheduling: words(`
    sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam sched_setparam
    sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min
    sched_rr_get_interval sched_rr_get_interval_time64 sched_yield getpriority setpriority
    getrlimit setrlimit ugetrlimit prlimit64 getrusage getcpu`),
  system: words(`
    uname sysinfo getrandom get_thread_area set_thread_area landlock_add_rule
    landlock_create_ruleset landlock_restrict_self`),
};

/** The flags of clone(2) that create namespaces: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** socket(2) family AF_VSOCK: host-guest sockets stay closed. */
const AF_VSOCK = 40;
/** personality(2) values programs use: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the query 0xffffffff. */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** Syscalls a capability makes safe to allow, by capability. */
const BY_CAPABILITY: Array<[capability: string, names: string[]]> = [
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  [
    'CAP_SYS_ADMIN',
    words(`
      bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
      mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname
      sethostname setns syslog umount umount2 unshare`),
  ],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYS_CHROOT', ['chroot']],
  ['CAP_SYS_MODULE', ['delete_module', 'init_module', 'finit_module']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
  ['CAP_SYS_NICE', ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
  ['CAP_SYSLOG', ['syslog']],
  ['CAP_BPF', ['bpf']],
  ['CAP_PERFMON', ['perf_event_open']],
];

/** Architecture-specific syscalls, by the Go architecture names docker profiles use. */
const BY_ARCHITECTURE: Array<[arches: string[], names: string[]]> = [
  [['ppc64le'], ['sync_file_range2', 'swapcontext']],
  [['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']],
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['s390', 's390x'], ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr']],
  [['riscv64'], ['riscv_flush_icache']],
];

const allow = (names: string[], extra: Partial<DockerSeccompRule> = {}): DockerSeccompRule => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});

function rules(): DockerSeccompRule[] {
  const list: DockerSeccompRule[] = [allow(Object.values(ALWAYS_ALLOWED).flat())];
  // Reading another process's memory was unsafe before 4.8 (it bypassed seccomp).
  list.push(allow(['process_vm_readv', 'process_vm_writev', 'ptrace'], { includes: { minKernel: '4.8' } }));
  list.push(allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }));
  for (const value of PERSONALITIES) list.push(allow(['personality'], { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }));
  for (const [arches, names] of BY_ARCHITECTURE) list.push(allow(names, { includes: { arches } }));
  for (const [capability, names] of BY_CAPABILITY) list.push(allow(names, { includes: { caps: [capability] } }));
  // Without CAP_SYS_ADMIN: clone without namespace flags (s390 swaps the first two arguments),
  // and clone3 fails with ENOSYS (its flags sit in memory seccomp cannot read), so that libc
  // falls back to clone.
  const noSysAdmin = { caps: ['CAP_SYS_ADMIN'] };
  list.push(
    allow(['clone'], {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { ...noSysAdmin, arches: ['s390', 's390x'] },
    }),
    allow(['clone'], {
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: noSysAdmin,
    }),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: noSysAdmin },
  );
  return list;
}

/** Docker's native architecture and the compat ones beside it, per native architecture. */
const ARCH_MAP: DockerSeccompProfile['archMap'] = [
  { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
  { architecture: 'SCMP_ARCH_MIPS64N32', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'] },
  { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'] },
  { architecture: 'SCMP_ARCH_MIPSEL64N32', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'] },
  { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
  { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
];

let cached: DockerSeccompProfile | undefined;

/** The default profile (a fresh copy each call is not needed: callers must not mutate it). */
export function defaultSeccompProfile(): DockerSeccompProfile {
  cached ??= { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, archMap: ARCH_MAP, syscalls: rules() };
  return cached;
}
