// Entry point of the mydocker program.
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let pending stdout writes and child handles finish, but never hang on a stray handle.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`mydocker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(125);
  },
);
