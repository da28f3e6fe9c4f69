// Whether an fd is a terminal, by libc's isatty, loaded on demand. Not process.stdout.isTTY: the
// first touch of process.stdout builds the stream (node:net for a pipe, node:tty for a terminal:
// about 6 ms), and the command table's modules are part of every command's start-up.
export function isTerminal(fd: number): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../native/libc') as typeof import('../../native/libc')).isatty(fd);
}
