// volume create / ls / rm / inspect.
import type { ManagerCommand } from './command';

async function volumes() {
  return import('../volumes/store');
}

export const VOLUMES_COMMANDS: ManagerCommand[] = [
  {
    name: 'volume create',
    describe: 'create a named volume (a generated name when none is given) and print its name',
    positionals: [{ name: 'name', required: false, describe: 'volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)' }],
    options: [{ name: 'label', type: 'string', multiple: true, describe: 'KEY=VALUE label' }],
    async run({ values, lists }, ctx) {
      const { createVolume } = await volumes();
      const labels: Record<string, string> = {};
      for (const l of lists.label ?? []) {
        const eq = l.indexOf('=');
        labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
      }
      ctx.out(`${createVolume(ctx.paths, values.name as string | undefined, labels).name}\n`);
      return 0;
    },
  },
  {
    name: 'volume ls',
    aliases: ['volume list'],
    describe: 'list volumes',
    positionals: [],
    options: [
      { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'only names' },
      { name: 'format', type: 'string', describe: '"json": one JSON object per line' },
    ],
    async run({ values }, ctx) {
      const { listVolumes } = await volumes();
      const list = listVolumes(ctx.paths);
      if (values.quiet) ctx.out(list.map((v) => `${v.name}\n`).join(''));
      else if (values.format === 'json') ctx.out(list.map((v) => `${JSON.stringify({ Driver: 'local', Name: v.name, Mountpoint: v.mountpoint, Labels: v.labels })}\n`).join(''));
      else ctx.out(`DRIVER    VOLUME NAME\n${list.map((v) => `local     ${v.name}\n`).join('')}`);
      return 0;
    },
  },
  {
    name: 'volume inspect',
    describe: 'show volumes as a JSON array',
    positionals: [{ name: 'names', required: true, variadic: true, describe: 'volume names' }],
    options: [],
    async run({ lists }, ctx) {
      const { getVolume } = await volumes();
      const docs = (lists.names ?? []).map((n) => {
        const v = getVolume(ctx.paths, n);
        return { CreatedAt: v.createdAt, Driver: 'local', Labels: v.labels, Mountpoint: v.mountpoint, Name: v.name, Options: {}, Scope: 'local' };
      });
      ctx.out(`${JSON.stringify(docs, null, 4)}\n`);
      return 0;
    },
  },
  {
    name: 'volume rm',
    aliases: ['volume remove'],
    describe: 'remove volumes and their data (refused while a container uses them)',
    positionals: [{ name: 'names', required: true, variadic: true, describe: 'volume names' }],
    options: [{ name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'no error for volumes that do not exist' }],
    async run({ values, lists }, ctx) {
      const { removeVolume } = await volumes();
      const { volumeUsers } = await import('../volumes/users');
      const usedBy = volumeUsers(ctx.paths);
      let status = 0;
      for (const name of lists.names ?? []) {
        try {
          removeVolume(ctx.paths, name, usedBy);
          ctx.out(`${name}\n`);
        } catch (err) {
          if (values.force && (err as Error).name === 'NotFoundError') continue;
          ctx.err(`mydocker: ${(err as Error).message}\n`);
          status = 1;
        }
      }
      return status;
    },
  },
];
