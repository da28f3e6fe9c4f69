// mydocker bundle IMAGE DIR [COMMAND...]: a standalone OCI bundle (config.json + a full copy of
// the root filesystem) that runc and mydocker-runtime both run.
import type { ManagerCommand } from './command';

export const BUNDLE_COMMANDS: ManagerCommand[] = [
  {
    name: 'bundle',
    describe: "write an OCI bundle (config.json and rootfs/) for IMAGE into DIR; COMMAND replaces the image's Cmd",
    positionals: [
      { name: 'image', required: true, describe: 'image name or id (busybox is built in)' },
      { name: 'dir', required: true, describe: 'bundle directory (created; must not hold a rootfs yet)' },
      { name: 'command', required: false, variadic: true, describe: 'command and arguments' },
    ],
    options: [
      { name: 'tty', alias: 't', type: 'boolean', default: false, describe: 'process.terminal: true' },
      { name: 'pull', type: 'string', default: 'missing', choices: ['missing', 'always', 'never'], describe: 'when to pull the image' },
    ],
    async run({ values, lists }, ctx) {
      const { writeStandaloneBundle } = await import('../images/standalone-bundle');
      await writeStandaloneBundle(ctx.paths, String(values.image), String(values.dir), {
        // `bundle busybox DIR -- sh -c ...`: the separator is not part of the command
        command: lists.command?.[0] === '--' ? lists.command.slice(1) : (lists.command ?? []),
        tty: Boolean(values.tty),
        pull: values.pull as 'missing' | 'always' | 'never',
        output: ctx.err,
      });
      return 0;
    },
  },
];
