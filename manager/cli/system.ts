// version and info.
import type { ManagerCommand } from './command';

declare const __MYDOCKER_VERSION__: string;
declare const __MYDOCKER_COMMIT__: string;

export const SYSTEM_COMMANDS: ManagerCommand[] = [
  {
    name: 'version',
    describe: 'show the versions of mydocker and of the runtime it drives',
    positionals: [],
    options: [{ name: 'format', alias: 'f', type: 'string', describe: '"json" for a JSON document' }],
    async run({ values }, ctx) {
      const { versionInfo } = await import('../system/version');
      const info = versionInfo(ctx, {
        version: typeof __MYDOCKER_VERSION__ === 'string' ? __MYDOCKER_VERSION__ : 'dev',
        commit: typeof __MYDOCKER_COMMIT__ === 'string' ? __MYDOCKER_COMMIT__ : 'unknown',
      });
      if (values.format === 'json') ctx.out(`${JSON.stringify(info)}\n`);
      else {
        ctx.out(
          `Client: mydocker\n Version:\t${info.version}\n Git commit:\t${info.commit}\n Node.js:\t${info.node}\n OS/Arch:\t${info.os}/${info.arch}\n\n` +
            `Runtime:\n Path:\t\t${info.runtime.path}\n Version:\t${info.runtime.version}\n`,
        );
      }
      return 0;
    },
  },
];
