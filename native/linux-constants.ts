// Linux signal and errno numbers, for the runtime's start-up path. node:os has them too, but it
// is not in Node's start-up snapshot: under the runtime's flags V8 refuses Node's embedded code
// cache, so `require('node:os')` compiles the module from source, 0.5 ms of every `run`.
// The numbers are those of the kernel's generic ABI, which x86-64 and arm64 share
// (test/linux-constants.test.mjs holds them against os.constants on the machine it runs on).

/** Signal names and numbers, as os.constants.signals has them on Linux (aliases included). */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** The errno values the runtime tests for. */
export const ERRNO = {
  ESRCH: 3,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  EDOM: 33,
  ENOSYS: 38,
  ENODATA: 61,
} as const;

/** The symbolic name of an errno value (an error path: node:os is loaded here only). */
export function errnoName(errno: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** The errno value of a symbolic name like "EBUSY" (an error path, as errnoName). */
export function errnoValue(name: string): number | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  return (os.constants.errno as Record<string, number>)[name];
}
