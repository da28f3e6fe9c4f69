// The options of `run` and `create`, as docker spells them.
import type { OptionSpec } from './command';

export const CREATE_OPTIONS: OptionSpec[] = [
  { name: 'name', type: 'string', describe: 'container name (default: a generated adjective_name)' },
  { name: 'interactive', alias: 'i', type: 'boolean', default: false, describe: 'keep stdin open' },
  { name: 'tty', alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-terminal' },
  { name: 'rm', type: 'boolean', default: false, describe: 'remove the container when it exits' },
  { name: 'env', alias: 'e', type: 'string', multiple: true, describe: 'KEY=VALUE (or KEY: take it from this environment)' },
  { name: 'env-file', type: 'string', multiple: true, describe: 'read KEY=VALUE lines from a file' },
  { name: 'workdir', alias: 'w', type: 'string', describe: 'working directory inside the container' },
  { name: 'user', alias: 'u', type: 'string', describe: 'user[:group], names or ids' },
  { name: 'entrypoint', type: 'string', describe: "override the image's entrypoint" },
  { name: 'hostname', alias: 'h', type: 'string', describe: 'container host name (default: the first 12 hex of its id)' },
  { name: 'volume', alias: 'v', type: 'string', multiple: true, describe: 'HOST:CTR[:ro] bind mount or NAME:CTR[:ro] named volume' },
  { name: 'tmpfs', type: 'string', multiple: true, describe: 'PATH[:options] tmpfs mount' },
  { name: 'read-only', type: 'boolean', default: false, describe: 'mount the root filesystem read-only' },
  { name: 'memory', alias: 'm', type: 'string', describe: 'memory limit (e.g. 64m, 1g)' },
  { name: 'memory-swap', type: 'string', describe: 'memory plus swap limit (-1: unlimited swap)' },
  { name: 'cpus', type: 'string', describe: 'number of CPUs (e.g. 0.5)' },
  { name: 'cpu-shares', alias: 'c', type: 'string', describe: 'relative CPU weight' },
  { name: 'cpuset-cpus', type: 'string', describe: 'CPUs to run on (e.g. 0-1, 0,2)' },
  { name: 'pids-limit', type: 'string', describe: 'maximum number of processes (-1: unlimited)' },
  { name: 'privileged', type: 'boolean', default: false, describe: 'all capabilities, all devices, no seccomp, no masked paths' },
  { name: 'cap-add', type: 'string', multiple: true, describe: 'add a capability (NET_ADMIN, CAP_NET_ADMIN, ALL)' },
  { name: 'cap-drop', type: 'string', multiple: true, describe: 'drop a capability' },
  { name: 'security-opt', type: 'string', multiple: true, describe: 'seccomp=unconfined or seccomp=PROFILE.json' },
  { name: 'network', alias: 'net', type: 'string', default: 'bridge', describe: 'bridge (mydocker0), none or host' },
  { name: 'publish', alias: 'p', type: 'string', multiple: true, describe: '[IP:]HOST:CONTAINER[/tcp|udp] port mapping' },
  { name: 'stop-signal', type: 'string', describe: "signal that stops the container (default: the image's StopSignal or SIGTERM)" },
  { name: 'stop-timeout', type: 'number', describe: 'seconds to wait after the stop signal before SIGKILL (default 10)' },
  { name: 'label', alias: 'l', type: 'string', multiple: true, describe: 'KEY=VALUE label' },
  { name: 'platform', type: 'string', describe: 'platform of the image to pull when missing (os/arch[/variant])' },
  { name: 'pull', type: 'string', default: 'missing', choices: ['missing', 'always', 'never'], describe: 'when to pull the image' },
];

export const RUN_OPTIONS: OptionSpec[] = [
  ...CREATE_OPTIONS,
  { name: 'detach', alias: 'd', type: 'boolean', default: false, describe: 'run in the background under a monitor and print the id' },
];
