// mydocker-runtime's command line: the runc CLI that containerd, podman and docker drive.
// Thin: parse, call the typed operation, print, exit.
import fs = require('node:fs');
import { messageOf, RuntimeError } from '../errors';
import { configureLog, log } from '../log';
import type { CreateOptions } from '../operations/create';
import type { ExecOptions } from '../operations/exec';
import type { GlobalOptions } from '../operations/options';
import type { UpdateFlags } from '../operations/update';
import { showHelp } from './help';
import { parseCommandLine, type Values } from './parse';

// Each operation's modules are loaded when it runs: `state` or `start` (what clients call most)
// then skip initializing create's (namespaces, mounts, cgroups, seccomp, the schema validators).

// Output goes through fs.writeSync: process.stdout would switch a pipe to O_NONBLOCK, and the
// container shares our stdio.
function out(text: string): void {
  fs.writeSync(1, text);
}

function createOptions(v: Values): CreateOptions {
  return {
    id: String(v.id),
    bundle: String(v.bundle),
    pidFile: v['pid-file'] as string | undefined,
    consoleSocket: v['console-socket'] as string | undefined,
    preserveFds: Number(v['preserve-fds']),
    noPivot: Boolean(v['no-pivot']),
    noNewKeyring: Boolean(v['no-new-keyring']),
  };
}

function execOptions(v: Values, lists: Record<string, string[]>): ExecOptions {
  for (const flag of ['process-label', 'apparmor']) {
    if (v[flag] !== undefined) throw new RuntimeError(`--${flag}: not available on this host (no SELinux/AppArmor support)`);
  }
  return {
    id: String(v.id),
    command: lists.command ?? [],
    processFile: v.process as string | undefined,
    detach: Boolean(v.detach),
    pidFile: v['pid-file'] as string | undefined,
    tty: Boolean(v.tty),
    consoleSocket: v['console-socket'] as string | undefined,
    cwd: v.cwd as string | undefined,
    env: lists.env ?? [],
    user: v.user as string | undefined,
    additionalGids: lists['additional-gids'] ?? [],
    caps: lists.cap ?? [],
    noNewPrivs: Boolean(v['no-new-privs']),
    preserveFds: Number(v['preserve-fds']),
  };
}

async function dispatch(name: string, v: Values, lists: Record<string, string[]>, global: GlobalOptions): Promise<number> {
  const id = String(v.id);
  switch (name) {
    case 'create':
      (await import('../operations/create')).create(global, createOptions(v));
      return 0;
    case 'start':
      (await import('../operations/start')).start(global, id);
      return 0;
    case 'state':
      out(`${JSON.stringify((await import('../operations/state')).state(global, id), null, 2)}\n`);
      return 0;
    case 'kill':
      (await import('../operations/kill')).kill(global, id, v.signal as string | undefined, Boolean(v.all));
      return 0;
    case 'delete':
      (await import('../operations/delete')).deleteContainer(global, id, Boolean(v.force));
      return 0;
    case 'run':
      return (await import('../operations/run')).run(global, { ...createOptions(v), detach: Boolean(v.detach) });
    case 'list': {
      const { listStates, listText } = await import('../operations/list');
      out(listText(listStates(global), String(v.format), Boolean(v.quiet)));
      return 0;
    }
    case 'spec':
      (await import('../operations/spec')).writeSpec(String(v.bundle), Boolean(v.rootless));
      return 0;
    case 'ps': {
      const { containerPids, psTable } = await import('../operations/ps');
      const pids = containerPids(global, id);
      out(v.format === 'json' ? `${JSON.stringify(pids)}\n` : psTable(pids, lists['ps-options'] ?? []));
      return 0;
    }
    case 'pause':
      (await import('../operations/pause')).pause(global, id);
      return 0;
    case 'resume':
      (await import('../operations/pause')).resume(global, id);
      return 0;
    case 'update': {
      const { resourcesFrom, update } = await import('../operations/update');
      update(global, id, resourcesFrom(v.resources as string | undefined, v as UpdateFlags));
      return 0;
    }
    case 'events':
      await (await import('../operations/events')).events(global, id, Boolean(v.stats), String(v.interval));
      return 0;
    case 'exec':
      return (await import('../operations/exec')).exec(global, execOptions(v, lists));
    case 'checkpoint':
    case 'restore':
      return (await import('../operations/checkpoint')).refuseCheckpoint(global, name, id);
    case 'features':
      out(`${JSON.stringify((await import('../operations/features')).features(), null, 2)}\n`);
      return 0;
    default:
      throw new Error(`command "${name}" has no handler`);
  }
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === '--version' || args[0] === '-v') {
    out((await import('../operations/features')).versionText());
    return 0;
  }
  let logFile: string | undefined;
  try {
    const parsed = parseCommandLine(args);
    if (!parsed) {
      showHelp(args);
      return 0;
    }
    const v = parsed.values;
    logFile = v.log as string | undefined;
    configureLog({ file: logFile, format: v['log-format'] === 'json' ? 'json' : 'text', debug: Boolean(v.debug) });
    const global: GlobalOptions = { root: String(v.root), systemdCgroup: Boolean(v['systemd-cgroup']), rootless: String(v.rootless) };
    return await dispatch(parsed.command.name, v, parsed.lists, global);
  } catch (err) {
    const message = messageOf(err);
    fs.writeSync(2, `${message}\n`);
    if (logFile === undefined) logFile = logFileFromRawArgs(args);
    if (logFile !== undefined) {
      configureLog({ file: logFile, format: args.some((a) => a === 'json' || a === '--log-format=json') ? 'json' : 'text', debug: false });
      log('error', message);
    }
    return 1;
  }
}

/** For errors in the command line itself: the --log file as written, if any. */
function logFileFromRawArgs(args: readonly string[]): string | undefined {
  const i = args.findIndex((a) => a === '--log' || a.startsWith('--log='));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice('--log='.length) : args[i + 1];
}
