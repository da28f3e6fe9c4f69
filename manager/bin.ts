// Entry point of the mydocker program.
import { exitProcess } from '../native/exit';
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let pending stdout writes and child handles finish, but never hang on a stray handle;
    // then end without Node's teardown (native/exit.ts).
    setImmediate(() => exitProcess(code));
  },
  (err: unknown) => {
    process.stderr.write(`mydocker: ${err instanceof Error ? err.message : String(err)}\n`);
    exitProcess(125);
  },
);
