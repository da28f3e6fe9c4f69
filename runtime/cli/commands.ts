// The runtime's command line, declared once: the fast parser (parse.ts) and the yargs help
// (help.ts) are both built from this table.
import { DEFAULT_ROOT } from '../state/root';

export interface OptionSpec {
  name: string;
  alias?: string;
  type: 'string' | 'boolean' | 'number';
  default?: string | boolean | number;
  choices?: string[];
  /** May be given several times (the value is then a list). */
  multiple?: boolean;
  describe: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /** Takes all remaining arguments, options included (exec's command line). */
  variadic?: boolean;
  describe: string;
}

export interface CommandSpec {
  name: string;
  aliases?: string[];
  describe: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'root', type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state' },
  { name: 'log', type: 'string', describe: 'log file (default: stderr)' },
  { name: 'log-format', type: 'string', default: 'text', choices: ['text', 'json'], describe: 'log format' },
  { name: 'debug', type: 'boolean', default: false, describe: 'log debug messages' },
  { name: 'systemd-cgroup', type: 'boolean', default: false, describe: 'manage cgroups through systemd (not available: an error)' },
  { name: 'rootless', type: 'string', default: 'auto', choices: ['true', 'false', 'auto'], describe: 'rootless mode' },
  { name: 'criu', type: 'string', describe: 'path to criu (accepted for runc compatibility; unused)' },
];

const ID: PositionalSpec = { name: 'id', required: true, describe: 'container id ([A-Za-z0-9_+.-]+)' };

const CREATE_OPTIONS: OptionSpec[] = [
  { name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' },
  { name: 'pid-file', type: 'string', describe: 'file to write the init process id to (no trailing newline)' },
  { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket that receives the pty master (terminal containers)' },
  { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass this many extra fds (3, 4, ...) to the container' },
  { name: 'no-pivot', type: 'boolean', default: false, describe: 'use MS_MOVE + chroot instead of pivot_root' },
  { name: 'no-new-keyring', type: 'boolean', default: false, describe: "keep the caller's session keyring" },
];

export const COMMANDS: CommandSpec[] = [
  { name: 'create', describe: 'create a container; its init waits for start', positionals: [ID], options: CREATE_OPTIONS },
  { name: 'start', describe: 'start the user program of a created container', positionals: [ID], options: [] },
  { name: 'state', describe: 'print the state of a container as JSON', positionals: [ID], options: [] },
  {
    name: 'kill',
    describe: 'send a signal (number, name or SIG-name; default SIGTERM) to the container',
    positionals: [ID, { name: 'signal', required: false, describe: 'signal, e.g. 9, KILL or SIGKILL' }],
    options: [{ name: 'all', alias: 'a', type: 'boolean', default: false, describe: 'send it to every process of the container' }],
  },
  {
    name: 'delete',
    describe: 'delete a container and everything it holds',
    positionals: [ID],
    options: [{ name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'kill it first if it is running' }],
  },
  {
    name: 'run',
    describe: 'create and start a container; wait for it and exit with its status unless --detach',
    positionals: [ID],
    options: [...CREATE_OPTIONS, { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the container' }],
  },
  {
    name: 'list',
    aliases: ['ls'],
    describe: 'list containers',
    positionals: [],
    options: [
      { name: 'format', alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'output format' },
      { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' },
    ],
  },
  {
    name: 'spec',
    describe: 'write a starting config.json',
    positionals: [],
    options: [
      { name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' },
      { name: 'rootless', type: 'boolean', default: false, describe: 'a config for a rootless container' },
    ],
  },
  { name: 'features', describe: 'print the features document (JSON)', positionals: [], options: [] },
  {
    name: 'ps',
    describe: "list the container's processes (host pids): a ps table, or a JSON array",
    positionals: [ID, { name: 'ps-options', required: false, variadic: true, describe: 'options for ps(1), default -ef' }],
    options: [{ name: 'format', alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'output format' }],
  },
  { name: 'pause', describe: 'freeze every process of a running container', positionals: [ID], options: [] },
  { name: 'resume', describe: 'thaw a paused container', positionals: [ID], options: [] },
  {
    name: 'update',
    describe: "change a container's cgroup resources (zero means: leave it as it is)",
    positionals: [ID],
    options: [
      { name: 'resources', alias: 'r', type: 'string', describe: 'LinuxResources JSON file, or - for stdin' },
      { name: 'blkio-weight', type: 'string', describe: 'block IO weight (10-1000)' },
      { name: 'cpu-period', type: 'string', describe: 'CPU CFS period (microseconds)' },
      { name: 'cpu-quota', type: 'string', describe: 'CPU CFS quota (microseconds; -1: none)' },
      { name: 'cpu-share', type: 'string', describe: 'CPU shares (relative weight)' },
      { name: 'cpu-rt-period', type: 'string', describe: 'realtime period (microseconds)' },
      { name: 'cpu-rt-runtime', type: 'string', describe: 'realtime runtime (microseconds)' },
      { name: 'cpuset-cpus', type: 'string', describe: 'CPUs to run on (e.g. 0-1)' },
      { name: 'cpuset-mems', type: 'string', describe: 'memory nodes (e.g. 0)' },
      { name: 'memory', type: 'string', describe: 'memory limit (bytes, or 100m, 1g; -1: none)' },
      { name: 'memory-reservation', type: 'string', describe: 'memory soft limit' },
      { name: 'memory-swap', type: 'string', describe: 'memory + swap limit (-1: unlimited)' },
      { name: 'pids-limit', type: 'string', describe: 'maximum number of processes (-1: none)' },
    ],
  },
  {
    name: 'events',
    describe: 'print stats (and OOM) events of a container as JSON lines until it stops',
    positionals: [ID],
    options: [
      { name: 'stats', type: 'boolean', default: false, describe: 'print one stats event and exit' },
      { name: 'interval', type: 'string', default: '5s', describe: 'time between stats events (e.g. 5s, 500ms)' },
    ],
  },
  {
    name: 'checkpoint',
    describe: 'checkpoint a running container with criu (not supported: refused with the reason, e.g. criu missing or failing `criu check`)',
    positionals: [ID],
    options: [{ name: 'image-path', type: 'string', describe: 'where criu writes the images' }],
  },
  {
    name: 'restore',
    describe: 'restore a container from criu images (not supported: refused with the reason)',
    positionals: [ID],
    options: [
      { name: 'image-path', type: 'string', describe: 'where the criu images are' },
      { name: 'bundle', alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' },
    ],
  },
  {
    name: 'exec',
    describe: 'run a new process in a running container; exit with its status unless --detach',
    positionals: [ID, { name: 'command', required: false, variadic: true, describe: 'the command and its arguments' }],
    options: [
      { name: 'process', alias: 'p', type: 'string', describe: 'process.json with the whole process (replaces the command and the flags below)' },
      { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the process' },
      { name: 'pid-file', type: 'string', describe: 'file to write the process id to' },
      { name: 'tty', alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-terminal' },
      { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket that receives the pty master' },
      { name: 'cwd', type: 'string', describe: 'working directory in the container' },
      { name: 'env', alias: 'e', type: 'string', multiple: true, describe: 'add KEY=VALUE to the environment' },
      { name: 'user', alias: 'u', type: 'string', describe: 'UID[:GID] to run as' },
      { name: 'additional-gids', alias: 'g', type: 'string', multiple: true, describe: 'an additional group id' },
      { name: 'cap', alias: 'c', type: 'string', multiple: true, describe: 'add a capability (e.g. CAP_NET_ADMIN)' },
      { name: 'no-new-privs', type: 'boolean', default: false, describe: 'set no_new_privs' },
      { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass this many extra fds (3, 4, ...) to the process' },
      { name: 'process-label', type: 'string', describe: 'SELinux label (not available here: refused)' },
      { name: 'apparmor', type: 'string', describe: 'AppArmor profile (not available here: refused)' },
    ],
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
