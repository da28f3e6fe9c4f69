// Ending a program without Node's environment teardown. Once koffi's addon is loaded, Node's
// teardown at exit costs about 10 ms of a 70 ms start-up floor (measured: `require(koffi)` then
// process.exit 84 ms, then _exit 74 ms, `node -e 0` 66 ms). Everything our programs write is
// written synchronously (fs.writeSync; stdio on Linux is synchronous for files, pipes and ttys), so
// _exit(2) loses nothing once the 'exit' listeners (the launcher's code-cache writer) have run.
type HardExit = (code: number) => void;

let hardExit: HardExit | undefined;

/** native/libc.ts registers libc's _exit when it loads; without it we exit the ordinary way. */
export function registerHardExit(exit: HardExit): void {
  hardExit = exit;
}

/** A --cpu-prof profile is written during the teardown _exit skips. */
const profiling = process.execArgv.some((arg) => arg.startsWith('--cpu-prof'));

export function exitProcess(code: number): never {
  if (hardExit === undefined || profiling) process.exit(code);
  process.exitCode = code;
  process.emit('exit', code);
  hardExit(code);
  throw new Error('_exit returned');
}
