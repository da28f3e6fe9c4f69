// The container commands: run, create, start, stop, kill, restart, rm, ps, exec, logs, wait,
// top, stats (and `container cleanup`, which conmon runs when a detached container exits).
// Thin: flags to typed requests; the work is in manager/run and manager/containers.
import type { Context } from '../context';
import { ManagerError, UsageError } from '../errors';
import type { CommandArgs, ManagerCommand, OptionSpec } from './command';
import { CREATE_OPTIONS, RUN_OPTIONS } from './container-options';
import { operandsWithOptions } from './operands';

async function lifecycle(ctx: Context) {
  const { lifecycleOptions } = await import('../run/hooks');
  return lifecycleOptions(ctx);
}

/**
 * The containers that have metadata, asked when each namespace is judged rather than listed
 * before: a concurrent run writes its metadata before it makes its namespace, so a namespace
 * that exists when it is judged belongs to a container that `exists` sees (a list made first
 * would miss a run that got from its metadata to its namespace meanwhile, and its network
 * would be torn down under it).
 */
class LiveContainers extends Set<string> {
  constructor(private readonly store: import('../containers/store').ContainerStore) {
    super();
  }
  override has(id: string): boolean {
    return this.store.exists(id);
  }
}

/** Network leftovers of containers that are gone (a manager killed midway): cheap when none. */
async function sweepNetworks(ctx: Context): Promise<void> {
  const { ContainerStore } = await import('../containers/store');
  const { cleanupStaleNetworks } = await import('../network/network');
  const { failed } = await cleanupStaleNetworks(ctx.paths, new LiveContainers(new ContainerStore(ctx.paths)));
  for (const f of failed) ctx.err(`mydocker: warning: cleaning up a stale network attachment: ${JSON.stringify(f)}\n`);
}

const list = (args: CommandArgs, name: string) => (args.lists[name] ?? []).map(String);

async function request(args: CommandArgs) {
  const { parseRunFlags } = await import('../spec/run-flags');
  const v = args.values;
  const flags = parseRunFlags({
    interactive: Boolean(v.interactive),
    tty: Boolean(v.tty),
    rm: Boolean(v.rm),
    ...(v.name !== undefined ? { name: String(v.name) } : {}),
    env: list(args, 'env'),
    envFile: list(args, 'env-file'),
    ...(v.workdir !== undefined ? { workdir: String(v.workdir) } : {}),
    ...(v.user !== undefined ? { user: String(v.user) } : {}),
    ...(v.entrypoint !== undefined ? { entrypoint: String(v.entrypoint) } : {}),
    ...(v.hostname !== undefined ? { hostname: String(v.hostname) } : {}),
    volume: list(args, 'volume'),
    tmpfs: list(args, 'tmpfs'),
    readOnly: Boolean(v['read-only']),
    ...(v.memory !== undefined ? { memory: String(v.memory) } : {}),
    ...(v['memory-swap'] !== undefined ? { memorySwap: String(v['memory-swap']) } : {}),
    ...(v.cpus !== undefined ? { cpus: String(v.cpus) } : {}),
    ...(v['cpu-shares'] !== undefined ? { cpuShares: String(v['cpu-shares']) } : {}),
    ...(v['cpuset-cpus'] !== undefined ? { cpusetCpus: String(v['cpuset-cpus']) } : {}),
    ...(v['pids-limit'] !== undefined ? { pidsLimit: String(v['pids-limit']) } : {}),
    privileged: Boolean(v.privileged),
    capAdd: list(args, 'cap-add'),
    capDrop: list(args, 'cap-drop'),
    securityOpt: list(args, 'security-opt'),
    network: String(v.network ?? 'bridge'),
    publish: list(args, 'publish'),
  });
  const labels: Record<string, string> = {};
  for (const l of list(args, 'label')) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const stopTimeout = v['stop-timeout'];
  if (stopTimeout !== undefined && (!Number.isInteger(Number(stopTimeout)) || Number(stopTimeout) < 0)) {
    throw new UsageError(`--stop-timeout: "${stopTimeout}" is not a whole number of seconds`);
  }
  return {
    image: String(v.image),
    command: list(args, 'command'),
    flags,
    pull: (v.pull ?? 'missing') as 'missing' | 'always' | 'never',
    ...(v.platform !== undefined ? { platform: String(v.platform) } : {}),
    ...(v['stop-signal'] !== undefined ? { stopSignal: String(v['stop-signal']) } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout: Number(stopTimeout) } : {}),
    labels,
  };
}

/**
 * docker run and create exit 125 when they themselves fail (an image not found included), so
 * that a script tells that from the container's own status; 126/127 stay (the command could
 * not be run).
 */
async function asRunFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ManagerError && err.exitCode === 1) throw new ManagerError(err.message, 125);
    throw err;
  }
}

const IMAGE_AND_COMMAND = [
  { name: 'image', required: true, describe: 'image name or id (busybox is built in)' },
  { name: 'command', required: false, variadic: true, describe: "command and arguments (default: the image's)" },
];
const NAMES = [{ name: 'containers', required: true, variadic: true, describe: 'container names or ids (unique prefixes work)' }];
const ONE = { name: 'container', required: true, describe: 'container name or id' };

/** A command on a list of containers: each one done in turn, errors reported, status 1 if any. */
function onEach(
  name: string,
  describe: string,
  options: OptionSpec[],
  each: (ctx: Context, ref: string, args: CommandArgs) => Promise<string | void>,
  aliases?: string[],
): ManagerCommand {
  const command: ManagerCommand = {
    name,
    ...(aliases ? { aliases } : {}),
    describe,
    positionals: NAMES,
    options,
    async run(args, ctx) {
      const refs = operandsWithOptions(args, 'containers', name, options);
      if (refs.length === 0) throw new UsageError(`${name}: give at least one container`);
      let status = 0;
      for (const ref of refs) {
        try {
          const out = await each(ctx, ref, args);
          ctx.out(`${out ?? ref}\n`);
        } catch (err) {
          if (!(err instanceof ManagerError)) throw err;
          ctx.err(`mydocker: ${err.message}\n`);
          status = 1;
        }
      }
      return status;
    },
  };
  return command;
}

const STOP_TIME: OptionSpec = { name: 'time', alias: 't', type: 'string', describe: 'seconds to wait for the stop signal to work before SIGKILL (default: the container\'s, 10)' };

function stopTimeout(args: CommandArgs): number | undefined {
  const t = args.values.time;
  if (t === undefined) return undefined;
  if (!/^\d+$/.test(String(t))) throw new UsageError(`-t, --time: "${t}" is not a whole number of seconds`);
  return Number(t);
}

const RUN: ManagerCommand = {
  name: 'run',
  aliases: ['container run'],
  describe: 'run a command in a new container (foreground, or -d under conmon)',
  positionals: IMAGE_AND_COMMAND,
  options: RUN_OPTIONS,
  async run(args, ctx) {
    const req = await request(args);
    const detach = Boolean(args.values.detach);
    if (detach && req.flags.rm === false && req.flags.interactive && req.flags.tty) {
      // docker allows -dit; the terminal is kept by conmon
    }
    const { containerCreateOptions } = await import('../run/create');
    const { runContainer } = await import('../containers/foreground');
    const { record, exitCode } = await asRunFailure(async () => {
      await sweepNetworks(ctx);
      const lc = await lifecycle(ctx);
      return runContainer(ctx, await containerCreateOptions(ctx, req), { ...lc, detach });
    });
    if (detach) {
      ctx.out(`${record.id}\n`);
      return 0;
    }
    return exitCode ?? 0;
  },
};

const CREATE: ManagerCommand = {
  name: 'create',
  aliases: ['container create'],
  describe: 'create a container (started later with `start`)',
  positionals: IMAGE_AND_COMMAND,
  options: CREATE_OPTIONS,
  async run(args, ctx) {
    const req = await request(args);
    const { containerCreateOptions } = await import('../run/create');
    const { createContainer } = await import('../containers/lifecycle');
    const record = await asRunFailure(async () => {
      await sweepNetworks(ctx);
      return createContainer(ctx, await containerCreateOptions(ctx, req));
    });
    ctx.out(`${record.id}\n`);
    return 0;
  },
};

const START = onEach('start', 'start created or stopped containers (detached, under conmon)', [], async (ctx, ref) => {
  const { startContainer } = await import('../containers/lifecycle');
  await startContainer(ctx, ref, await lifecycle(ctx));
}, ['container start']);

const STOP = onEach('stop', "stop containers: the stop signal, then SIGKILL after -t seconds", [STOP_TIME], async (ctx, ref, args) => {
  const { stopContainer } = await import('../containers/lifecycle');
  const timeout = stopTimeout(args);
  await stopContainer(ctx, ref, { ...(await lifecycle(ctx)), ...(timeout !== undefined ? { timeout } : {}) });
}, ['container stop']);

const RESTART = onEach('restart', 'stop (as `stop`) and start containers again', [STOP_TIME], async (ctx, ref, args) => {
  const { restartContainer } = await import('../containers/lifecycle');
  const timeout = stopTimeout(args);
  await restartContainer(ctx, ref, { ...(await lifecycle(ctx)), ...(timeout !== undefined ? { timeout } : {}) });
}, ['container restart']);

const KILL = onEach(
  'kill',
  'send a signal (default SIGKILL) to running containers',
  [{ name: 'signal', alias: 's', type: 'string', default: 'KILL', describe: 'signal name or number' }],
  async (ctx, ref, args) => {
    const { killContainer } = await import('../containers/lifecycle');
    await killContainer(ctx, ref, String(args.values.signal ?? 'KILL'), await lifecycle(ctx));
  },
  ['container kill'],
);

const RM = onEach(
  'rm',
  'remove containers (a running one only with -f); their network, rootfs and state go with them',
  [
    { name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'kill a running container first' },
    { name: 'volumes', alias: 'v', type: 'boolean', default: false, describe: 'accepted for docker compatibility (anonymous volumes are kept)' },
  ],
  async (ctx, ref, args) => {
    const { removeContainer } = await import('../containers/lifecycle');
    await removeContainer(ctx, ref, { ...(await lifecycle(ctx)), force: Boolean(args.values.force) });
    await sweepNetworks(ctx);
  },
  ['container rm', 'container remove'],
);

const WAIT: ManagerCommand = {
  ...onEach('wait', 'wait for containers to stop and print their exit codes', [], async (ctx, ref) => {
    const { waitContainer } = await import('../containers/lifecycle');
    return String(await waitContainer(ctx, ref, await lifecycle(ctx)));
  }, ['container wait']),
};

const PS: ManagerCommand = {
  name: 'ps',
  aliases: ['container ls', 'container list', 'container ps'],
  describe: 'list containers (running ones; -a all)',
  positionals: [],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', default: false, describe: 'all containers, not only running ones' },
    { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'only ids' },
    { name: 'no-trunc', type: 'boolean', default: false, describe: 'full ids and commands' },
    { name: 'format', type: 'string', describe: 'table (default), json, or a template: {{.ID}} {{.Names}} {{.Status}} ...' },
  ],
  async run({ values }, ctx) {
    const { listContainers } = await import('../containers/lifecycle');
    const { formatPs } = await import('../containers/format');
    const records = await listContainers(ctx, { ...(await lifecycle(ctx)), all: Boolean(values.all) });
    ctx.out(
      formatPs(records, Date.now(), {
        quiet: Boolean(values.quiet),
        noTrunc: Boolean(values['no-trunc']),
        ...(values.format !== undefined ? { format: String(values.format) } : {}),
      }),
    );
    return 0;
  },
};

const EXEC: ManagerCommand = {
  name: 'exec',
  aliases: ['container exec'],
  describe: 'run a command in a running container',
  positionals: [ONE, { name: 'command', required: true, variadic: true, describe: 'command and arguments' }],
  options: [
    { name: 'interactive', alias: 'i', type: 'boolean', default: false, describe: 'keep stdin open' },
    { name: 'tty', alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-terminal' },
    { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'run in the background' },
    { name: 'env', alias: 'e', type: 'string', multiple: true, describe: 'KEY=VALUE (or KEY from this environment)' },
    { name: 'workdir', alias: 'w', type: 'string', describe: 'working directory inside the container' },
    { name: 'user', alias: 'u', type: 'string', describe: 'user[:group], names or ids' },
  ],
  async run(args, ctx) {
    const v = args.values;
    const command = list(args, 'command');
    if (command.length === 0) throw new UsageError('exec: give a command to run');
    const { execInContainer } = await import('../containers/exec');
    const { resolveUser } = await import('../spec/user');
    return execInContainer(
      ctx,
      String(v.container),
      {
        command,
        interactive: Boolean(v.interactive),
        tty: Boolean(v.tty),
        detach: Boolean(v.detach),
        env: list(args, 'env'),
        ...(v.workdir !== undefined ? { workdir: String(v.workdir) } : {}),
        ...(v.user !== undefined ? { user: String(v.user) } : {}),
        resolveUser,
      },
      await lifecycle(ctx),
    );
  },
};

const LOGS: ManagerCommand = {
  name: 'logs',
  aliases: ['container logs'],
  describe: 'show what a container wrote to stdout and stderr',
  positionals: [ONE],
  options: [
    { name: 'follow', alias: 'f', type: 'boolean', default: false, describe: 'keep following until the container exits' },
    { name: 'tail', alias: 'n', type: 'string', describe: 'only the last N lines ("all" for all)' },
    { name: 'timestamps', alias: 't', type: 'boolean', default: false, describe: 'prefix each line with its time (RFC 3339, nanoseconds)' },
  ],
  async run({ values }, ctx) {
    const { containerLogs } = await import('../containers/container-logs');
    const { parseTail } = await import('../containers/logs');
    const tail = parseTail(values.tail === undefined ? undefined : String(values.tail));
    await containerLogs(ctx, String(values.container), {
      follow: Boolean(values.follow),
      timestamps: Boolean(values.timestamps),
      ...(tail !== undefined ? { tail } : {}),
    });
    return 0;
  },
};

const TOP: ManagerCommand = {
  name: 'top',
  aliases: ['container top'],
  describe: "show a container's processes (ps options may follow; default -ef)",
  positionals: [ONE, { name: 'ps-options', required: false, variadic: true, describe: 'options for ps' }],
  options: [],
  async run(args, ctx) {
    const { topContainer } = await import('../containers/top');
    const psArgs = list(args, 'ps-options');
    const result = await topContainer(ctx, String(args.values.container), psArgs.length ? psArgs : ['-ef'], await lifecycle(ctx));
    const { tabulate } = await import('../containers/format');
    ctx.out(tabulate([result.titles, ...result.processes]));
    return 0;
  },
};

const STATS: ManagerCommand = {
  name: 'stats',
  aliases: ['container stats'],
  describe: 'one-shot resource figures of running containers (memory, CPU, pids, network, block I/O)',
  positionals: [{ name: 'containers', required: false, variadic: true, describe: 'containers (default: all running)' }],
  options: [
    { name: 'no-stream', type: 'boolean', default: true, describe: 'one sample (the only mode)' },
    { name: 'format', type: 'string', describe: '"json": one JSON object per line' },
  ],
  async run(args, ctx) {
    let refs = operandsWithOptions(args, 'containers', 'stats', STATS.options);
    const lc = await lifecycle(ctx);
    const { statsContainer, statsRow, STATS_HEADER } = await import('../containers/stats');
    if (refs.length === 0) {
      const { listContainers } = await import('../containers/lifecycle');
      refs = (await listContainers(ctx, lc)).map((r) => r.id);
    }
    const all = await Promise.all(refs.map((ref) => statsContainer(ctx, ref, lc)));
    if (args.values.format === 'json') ctx.out(all.map((s) => `${JSON.stringify(s)}\n`).join(''));
    else {
      const { tabulate } = await import('../containers/format');
      ctx.out(tabulate([STATS_HEADER, ...all.map(statsRow)]));
    }
    return 0;
  },
};

const CLEANUP: ManagerCommand = {
  name: 'container cleanup',
  describe: '(internal) record the exit of a detached container and release its network and rootfs: conmon runs it',
  positionals: [{ name: 'id', required: true, describe: 'container id' }],
  options: [],
  async run({ values }, ctx) {
    const { cleanupContainer } = await import('../containers/lifecycle');
    await cleanupContainer(ctx, String(values.id), await lifecycle(ctx));
    return 0;
  },
};

export const CONTAINERS_COMMANDS: ManagerCommand[] = [RUN, CREATE, START, STOP, RESTART, KILL, RM, WAIT, PS, EXEC, LOGS, TOP, STATS, CLEANUP];
