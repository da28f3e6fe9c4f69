// The registry commands: pull, login, logout.
import { UsageError } from '../errors';
import { isTerminal } from '../system/terminal';
import { type ManagerCommand, str } from './command';

const INSECURE = { name: 'insecure-registry', type: 'boolean' as const, default: false, describe: 'allow plain HTTP to this registry (loopback ones always may; also $MYDOCKER_INSECURE_REGISTRIES=host:port,...)' };

/** Reads a line from the terminal; with `hidden`, without echoing it. */
async function promptLine(question: string, hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(hidden);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    let line = '';
    for await (const chunk of stdin as AsyncIterable<string>) {
      for (const ch of chunk) {
        if (ch === '\u0003') throw new UsageError('login: interrupted');
        if (ch === '\r' || ch === '\n') return line;
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    }
    return line;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    if (hidden) process.stderr.write('\n');
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

export const REGISTRY_COMMANDS: ManagerCommand[] = [
  {
    name: 'pull',
    describe: 'download an image from a registry',
    positionals: [{ name: 'image', required: true, describe: 'NAME[:TAG|@DIGEST], e.g. busybox, 127.0.0.1:5000/app:v1' }],
    options: [
      { name: 'platform', type: 'string', describe: 'os/arch[/variant] to choose from a multi-platform image (default: the host\'s)' },
      { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'print only the image name' },
      INSECURE,
    ],
    async run({ values }, ctx) {
      const { pullImage } = await import('../images/pull');
      const platform = str(values, 'platform');
      const image = await pullImage(ctx.paths, str(values, 'image')!, {
        ...(platform !== undefined ? { platform } : {}),
        quiet: Boolean(values.quiet),
        insecure: Boolean(values['insecure-registry']),
        output: ctx.out,
        isTTY: isTerminal(1),
        unpack: true,
      });
      // Unpacked now, as docker and podman do: the first run of the image does not wait for it
      // (while downloading, see layers/follow-unpack.ts; here what could not be followed).
      const { imageLowerDirs } = await import('../images/prepare');
      await imageLowerDirs(ctx.paths, image);
      return 0;
    },
  },
  {
    name: 'login',
    describe: 'log in to a registry (credentials kept in $DOCKER_CONFIG/config.json, default ~/.docker)',
    positionals: [{ name: 'server', required: false, describe: 'registry host[:port] (default: Docker Hub)' }],
    options: [
      { name: 'username', alias: 'u', type: 'string', describe: 'user name' },
      { name: 'password', alias: 'p', type: 'string', describe: 'password (visible to other users: prefer --password-stdin)' },
      { name: 'password-stdin', type: 'boolean', default: false, describe: 'read the password from standard input' },
      INSECURE,
    ],
    async run({ values }, ctx) {
      const { login, loginServer } = await import('../images/registry/login');
      const server = loginServer(str(values, 'server'));
      let username = str(values, 'username');
      let password = str(values, 'password');
      if (values['password-stdin']) {
        if (password !== undefined) throw new UsageError('login: --password and --password-stdin are mutually exclusive');
        if (username === undefined) throw new UsageError('login: --password-stdin needs --username');
        password = await readStdin();
      } else if (password !== undefined) {
        ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      }
      if (username === undefined || password === undefined) {
        if (!process.stdin.isTTY) throw new UsageError('login: give --username and --password-stdin (standard input is not a terminal to ask on)');
        username ??= (await promptLine('Username: ', false)).trim();
        password ??= await promptLine('Password: ', true);
      }
      if (username === '') throw new UsageError('login: --username is empty');
      if (password === '') throw new UsageError('login: the password is empty');
      await login(server, { username, password }, { insecure: Boolean(values['insecure-registry']) });
      ctx.out('Login Succeeded\n');
      return 0;
    },
  },
  {
    name: 'logout',
    describe: 'forget the credentials of a registry',
    positionals: [{ name: 'server', required: false, describe: 'registry host[:port] (default: Docker Hub)' }],
    options: [],
    async run({ values }, ctx) {
      const { logout, loginServer } = await import('../images/registry/login');
      const server = loginServer(str(values, 'server'));
      ctx.out(logout(server) ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
      return 0;
    },
  },
];
