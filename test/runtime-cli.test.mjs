// The runtime's command line: parsing (runc's spelling as containerd and podman send it),
// signals and container ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { parseCommandLine } = load('runtime/cli/parse');
const { parseSignal } = load('runtime/signals');
const { checkId } = load('runtime/ids');
const { formatTable, listText } = load('runtime/operations/list');

test('containerd shim create: global flags before the command, --bundle/--pid-file, id last', () => {
  const p = parseCommandLine(['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json',
    'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1']);
  assert.equal(p.command.name, 'create');
  assert.equal(p.values.root, '/run/containerd/runc/default');
  assert.equal(p.values.log, '/b/log.json');
  assert.equal(p.values['log-format'], 'json');
  assert.equal(p.values.bundle, '/b');
  assert.equal(p.values['pid-file'], '/b/init.pid');
  assert.equal(p.values.id, 'c1');
  assert.equal(p.values['preserve-fds'], 0);
});

test('podman via conmon: --log-format=json --log=F spelling, --preserve-fds N, default root', () => {
  const p = parseCommandLine(['--log-format=json', '--log=/x/log', 'create', '--bundle', '/b', '--pid-file', '/p', '--preserve-fds', '2', 'c2']);
  assert.equal(p.values['log-format'], 'json');
  assert.equal(p.values.log, '/x/log');
  assert.equal(p.values['preserve-fds'], 2);
  assert.equal(p.values.root, '/run/mydocker-runtime');
});

test('kill ID SIGNUM, kill --all ID 9, and the default signal', () => {
  assert.deepEqual([parseCommandLine(['kill', 'c', '15']).values.signal, parseCommandLine(['kill', 'c']).values.signal], ['15', undefined]);
  const all = parseCommandLine(['kill', '--all', 'c', '9']);
  assert.equal(all.values.all, true);
  assert.equal(all.values.signal, '9');
});

test('delete --force / -f, run -d -b, list -q --format json, ls alias', () => {
  assert.equal(parseCommandLine(['delete', '-f', 'c']).values.force, true);
  const r = parseCommandLine(['run', '-d', '-b', '/b', 'c']);
  assert.deepEqual([r.values.detach, r.values.bundle], [true, '/b']);
  const l = parseCommandLine(['ls', '-q', '--format', 'json']);
  assert.deepEqual([l.command.name, l.values.quiet, l.values.format], ['list', true, 'json']);
});

test('spec --rootless is the command flag, not the global --rootless', () => {
  assert.equal(parseCommandLine(['spec']).values.rootless, false);
  assert.equal(parseCommandLine(['spec', '--rootless']).values.rootless, true);
  assert.equal(parseCommandLine(['--rootless', 'false', 'state', 'x']).values.rootless, 'false');
});

test('--help, help and no command mean: show help', () => {
  assert.equal(parseCommandLine([]), undefined);
  assert.equal(parseCommandLine(['help']), undefined);
  assert.equal(parseCommandLine(['create', '--help']), undefined);
});

test('bad command lines: one clear error naming the argument', () => {
  const cases = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['create', '--bogus', 'c'], /unknown option --bogus for "create"/],
    [['create'], /missing <id>/],
    [['state', 'a', 'b'], /unexpected argument "b"/],
    [['create', '--preserve-fds', 'two', 'c'], /--preserve-fds: "NaN" is not a number|--preserve-fds/],
    [['--log-format', 'xml', 'state', 'c'], /--log-format: "xml" is not one of text, json/],
    [['list', '--format', 'yaml'], /--format: "yaml" is not one of table, json/],
  ];
  for (const [args, message] of cases) assert.throws(() => parseCommandLine(args), message, args.join(' '));
});

test('signals: number, name, SIG-name, real-time; junk is refused', () => {
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('SIGRTMIN+1'), 35);
  assert.equal(parseSignal('RTMAX'), 64);
  for (const bad of ['0', '65', 'SIGFOO', '-1', '']) assert.throws(() => parseSignal(bad), /invalid signal/);
});

test('container ids: [A-Za-z0-9_+.-]+, not "." or ".."', () => {
  for (const ok of ['a', 'A-b_c+d.e', '0123456789abcdef']) assert.equal(checkId(ok), ok);
  for (const bad of ['', '.', '..', 'a/b', 'a b', 'ä', '../x']) assert.throws(() => checkId(bad), /container id/);
});

test('list: runc-like table columns and an empty json list is null', () => {
  const table = formatTable([['ID', 'PID'], ['a', '1']]);
  assert.equal(table, 'ID          PID\na           1\n');
  assert.equal(listText([], 'json', false), 'null\n');
  const s = { id: 'x', pid: 3, status: 'running', bundle: '/b', created: 't', owner: 'root', ociVersion: '1.0.0' };
  assert.equal(listText([s], 'table', true), 'x\n');
  assert.deepEqual(JSON.parse(listText([s], 'json', false)), [s]);
});

test('exec: options before the id are ours, everything after the id is the command', () => {
  const p = parseCommandLine(['exec', '-e', 'A=1', '--env', 'B=2', '-u', '1000:1000', '--cap', 'CAP_KILL', 'c', 'sh', '-c', 'echo -e x', '--tty']);
  assert.equal(p.values.id, 'c');
  assert.deepEqual(p.lists.command, ['sh', '-c', 'echo -e x', '--tty']);
  assert.deepEqual(p.lists.env, ['A=1', 'B=2']);
  assert.deepEqual(p.lists.cap, ['CAP_KILL']);
  assert.equal(p.values.user, '1000:1000');
  assert.equal(p.values.tty, false);
  const shim = parseCommandLine(['--root', '/r', 'exec', '--process', '/tmp/p.json', '--detach', '--pid-file', '/tmp/e.pid', 'c']);
  assert.deepEqual([shim.values.process, shim.values.detach, shim.values['pid-file'], shim.lists.command], ['/tmp/p.json', true, '/tmp/e.pid', []]);
});

test('--no-pivot, --no-new-keyring and --no-new-privs are flags, not negations', () => {
  const c = parseCommandLine(['create', '--no-pivot', '--no-new-keyring', 'c']);
  assert.deepEqual([c.values['no-pivot'], c.values['no-new-keyring']], [true, true]);
  assert.equal(parseCommandLine(['exec', '--no-new-privs', 'c', 'true']).values['no-new-privs'], true);
});
