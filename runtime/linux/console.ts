// process.terminal: a pty from the container's own devpts, its slave as the process'
// controlling terminal, stdio and /dev/console; the master goes to --console-socket, or is
// proxied to our stdio by a foreground `run`.
import fs = require('node:fs');
import { mount, MS } from '../../native/libc';
import { connectUnix, openPty, sendFds, setWindowSize } from '../../native/terminal';
import { RuntimeError } from '../errors';
import type { Process } from '../spec/types';
import type { InitProcess } from './init-process';

/**
 * Inside the container's root (after pivot_root). Returns the pty master. The container's
 * init also gets the pty as /dev/console; an exec'd process does not change the container's mounts.
 */
export function setUpConsole(init: InitProcess, size: Process['consoleSize'], devConsole: boolean): number {
  let pty;
  try {
    pty = openPty('/dev/ptmx');
  } catch (err) {
    throw new RuntimeError(`process.terminal: cannot open /dev/ptmx in the container (is /dev/pts mounted?): ${(err as Error).message}`);
  }
  try {
    if (size) setWindowSize(pty.master, size.height, size.width);
    if (devConsole) {
      if (!fs.existsSync('/dev/console')) fs.writeFileSync('/dev/console', '', { mode: 0o600 });
      mount(pty.slavePath, '/dev/console', null, MS.BIND, null);
    }
    init.setConsole(pty.slave);
    return pty.master;
  } catch (err) {
    fs.closeSync(pty.master);
    throw err;
  } finally {
    fs.closeSync(pty.slave);
  }
}

/** Hands the pty master to the --console-socket: exactly one fd, by SCM_RIGHTS (as runc does). */
export function sendConsole(socketPath: string, master: number): void {
  let socket: number;
  try {
    socket = connectUnix(socketPath);
  } catch (err) {
    throw new RuntimeError(`--console-socket: ${(err as Error).message}`);
  }
  try {
    sendFds(socket, Buffer.from('/dev/ptmx'), [master]);
  } finally {
    fs.closeSync(socket);
  }
}

/**
 * A foreground `run` with a terminal: our stdin (raw, if it is a terminal) goes to the pty and
 * the pty's output to our stdout; window size changes follow. Returns a function that stops it.
 */
export function proxyConsole(master: number): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tty = require('node:tty') as typeof import('node:tty');
  const output = new tty.ReadStream(master);
  output.on('data', (chunk: Buffer) => fs.writeSync(1, chunk));
  output.on('error', () => undefined); // EIO once the container side closes
  const stdinIsTty = tty.isatty(0);
  const resize = () => {
    if (!tty.isatty(1)) return;
    const out = new tty.WriteStream(1);
    const [columns, rows] = out.getWindowSize();
    setWindowSize(master, rows, columns);
  };
  resize();
  process.on('SIGWINCH', resize);
  let input: import('node:tty').ReadStream | undefined;
  if (stdinIsTty) {
    input = new tty.ReadStream(0);
    input.setRawMode(true);
    input.on('data', (chunk: Buffer) => {
      try {
        fs.writeSync(master, chunk);
      } catch {
        /* container gone */
      }
    });
  }
  return () => {
    process.off('SIGWINCH', resize);
    if (input) {
      input.setRawMode(false);
      input.destroy();
    }
    output.destroy();
  };
}
