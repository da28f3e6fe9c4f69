// The `run` flag parsers (manager/spec/flags.ts and the modules it re-exports): good values
// become what docker makes of them; bad ones are a UsageError with one line naming the flag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { load } from './lib/dist.mjs';
import { assertUsageError } from './lib/spec-assert.mjs';

const flags = load('manager/spec/flags');
const { mergeEnv } = load('manager/spec/env');
const { mergeTmpfsOptions } = load('manager/spec/mount-flags');
const { resolveCommand } = load('manager/spec/command');
const { imageDefaults, normalizeSignal } = load('manager/spec/image-defaults');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-flags-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 1024 * 1024;

describe('parseMemory / parseMemorySwap', () => {
  test('docker units are binary and case-insensitive', () => {
    const cases = {
      '1024': 1024,
      '512b': 512,
      '10k': 10240,
      '10kb': 10240,
      '10KiB': 10240,
      '64m': 64 * MiB,
      '64M': 64 * MiB,
      '1g': 1024 * MiB,
      '1.5g': 1536 * MiB,
      '2 g': 2048 * MiB,
      '1t': 1024 * 1024 * MiB,
    };
    for (const [value, bytes] of Object.entries(cases)) assert.equal(flags.parseMemory('--memory', value), bytes, value);
  });
  test('bad sizes name the flag and the value', () => {
    for (const bad of ['12q', '', 'm', '-1', '1.2.3m', '12mbx', 'ten']) {
      assertUsageError(() => flags.parseMemory('--memory', bad), '"--memory"', `invalid size: '${bad}'`);
    }
    assertUsageError(() => flags.parseMemory('--memory', '99999999p'), 'size out of range');
  });
  test('--memory-swap takes -1 for unlimited', () => {
    assert.equal(flags.parseMemorySwap('-1'), -1);
    assert.equal(flags.parseMemorySwap('128m'), 128 * MiB);
    assertUsageError(() => flags.parseMemorySwap('-2'), '"--memory-swap"');
  });
});

describe('parseCpus', () => {
  test('a decimal number of CPUs becomes a quota per 100 ms period', () => {
    assert.deepEqual(flags.parseCpus('1.5', 2), { quota: 150000, period: 100000 });
    assert.deepEqual(flags.parseCpus('0.5', 2), { quota: 50000, period: 100000 });
    assert.deepEqual(flags.parseCpus('.25', 2), { quota: 25000, period: 100000 });
    assert.deepEqual(flags.parseCpus('2', 2), { quota: 200000, period: 100000 });
    assert.deepEqual(flags.parseCpus('0.01', 2), { quota: 1000, period: 100000 });
    assert.deepEqual(flags.parseCpus('1.500000000', 4), { quota: 150000, period: 100000 });
  });
  test('0 means no limit', () => {
    assert.deepEqual(flags.parseCpus('0', 2), { quota: -1, period: 100000 });
  });
  test('out of range, too precise or not a number', () => {
    assertUsageError(() => flags.parseCpus('3', 2), '"--cpus"', 'range of CPUs is from 0.01 to 2.00');
    assertUsageError(() => flags.parseCpus('0.001', 2), '"--cpus"', 'range of CPUs');
    assertUsageError(() => flags.parseCpus('1.0000000001', 2), '"--cpus"', 'too precise');
    for (const bad of ['abc', '', '.', '-1', '1/2x', '1e3']) assertUsageError(() => flags.parseCpus(bad, 2), '"--cpus"');
  });
  test('the default CPU count is the machine\'s', () => {
    const n = os.availableParallelism();
    assert.equal(flags.parseCpus(String(n)).quota, n * 100000);
    assertUsageError(() => flags.parseCpus(String(n + 1)), `there are only ${n} CPUs available`);
  });
});

describe('--cpu-shares, --pids-limit, --cpuset-cpus', () => {
  test('cpu shares', () => {
    assert.equal(flags.parseCpuShares('512'), 512);
    assert.equal(flags.parseCpuShares('0'), 0);
    assertUsageError(() => flags.parseCpuShares('x'), '"-c, --cpu-shares"', 'not an integer');
    assertUsageError(() => flags.parseCpuShares('-5'), '"-c, --cpu-shares"', 'negative');
  });
  test('pids limit: 0 and -1 are unlimited', () => {
    assert.equal(flags.parsePidsLimit('100'), 100);
    assert.equal(flags.parsePidsLimit('0'), 0);
    assert.equal(flags.parsePidsLimit('-1'), 0);
    assertUsageError(() => flags.parsePidsLimit('lots'), '"--pids-limit"');
    assertUsageError(() => flags.parsePidsLimit('1.5'), '"--pids-limit"');
  });
  test('cpuset: a CPU list the host has', () => {
    assert.equal(flags.parseCpuset('0-1', [0, 1]), '0-1');
    assert.equal(flags.parseCpuset('0,1', [0, 1]), '0,1');
    assert.deepEqual(flags.cpuList('0-2,5,7-8'), [0, 1, 2, 5, 7, 8]);
    assertUsageError(() => flags.parseCpuset('0-3', [0, 1]), '"--cpuset-cpus"', 'not available: 2,3');
    for (const bad of ['a', '1-0', '0,', '-1', '0--1']) assertUsageError(() => flags.parseCpuset(bad, [0, 1]), '"--cpuset-cpus"', 'invalid format');
  });
  test('onlineCpus reads the host', () => {
    const cpus = flags.onlineCpus();
    assert.ok(cpus.length >= 1 && cpus.includes(0), String(cpus));
  });
});

describe('-e / --env-file', () => {
  const caller = { FROM_CALLER: 'caller value', EMPTY: '' };
  test('KEY=value as given; a bare KEY takes the caller\'s value or stays bare (unset)', () => {
    assert.deepEqual(flags.parseEnvList(['A=1', 'B=x=y', 'FROM_CALLER', 'EMPTY', 'MISSING', 'C='], [], caller), [
      'A=1',
      'B=x=y',
      'FROM_CALLER=caller value',
      'EMPTY=',
      'MISSING',
      'C=',
    ]);
  });
  test('an empty name is an error', () => {
    assertUsageError(() => flags.parseEnvList(['=x'], [], caller), '"-e, --env"', 'invalid environment variable: =x');
  });
  test('env files: comments, blank lines, leading spaces; file entries come first', () => {
    const file = path.join(tmp, 'env');
    fs.writeFileSync(file, '# a comment\n\n  A=from file\nQUOTED="kept as is"\nFROM_CALLER\nMISSING\r\nB=2 # not a comment\n');
    assert.deepEqual(flags.parseEnvList(['A=flag'], [file], caller), [
      'A=from file',
      'QUOTED="kept as is"',
      'FROM_CALLER=caller value',
      'B=2 # not a comment',
      'A=flag',
    ]);
  });
  test('env file errors name the file and line', () => {
    const spaced = path.join(tmp, 'spaced');
    fs.writeFileSync(spaced, 'OK=1\nBAD KEY=1\n');
    assertUsageError(() => flags.parseEnvList([], [spaced], caller), `--env-file ${spaced}: line 2`, "variable 'BAD KEY' contains whitespaces");
    const noname = path.join(tmp, 'noname');
    fs.writeFileSync(noname, '=1\n');
    assertUsageError(() => flags.parseEnvList([], [noname], caller), 'line 1', 'no variable name');
    assertUsageError(() => flags.parseEnvList([], [path.join(tmp, 'missing')], caller), '--env-file', 'ENOENT');
    const binary = path.join(tmp, 'binary');
    fs.writeFileSync(binary, Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x0a]));
    assertUsageError(() => flags.parseEnvList([], [binary], caller), 'not valid UTF-8');
  });
  test('mergeEnv: replace in place, append, and a bare KEY unsets', () => {
    assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1', 'B=2'], ['A=9', 'C=3', 'B', 'NOPE']), ['PATH=/bin', 'A=9', 'C=3']);
  });
});

describe('-v / --volume', () => {
  test('absolute source: a bind mount', () => {
    assert.deepEqual(flags.parseVolumeFlag('/srv/data:/data'), { kind: 'bind', source: '/srv/data', target: '/data', readonly: false });
    assert.deepEqual(flags.parseVolumeFlag('/srv/data/:/data/:ro'), { kind: 'bind', source: '/srv/data', target: '/data', readonly: true });
    assert.deepEqual(flags.parseVolumeFlag('/srv//x/../data:/a/./b:rw,rshared'), {
      kind: 'bind',
      source: '/srv/data',
      target: '/a/b',
      readonly: false,
      propagation: 'rshared',
    });
    assert.equal(flags.parseVolumeFlag('/etc/hosts:/x:ro,Z').readonly, true);
  });
  test('a name: a named volume', () => {
    assert.deepEqual(flags.parseVolumeFlag('myvol:/data'), { kind: 'volume', name: 'myvol', target: '/data', readonly: false, nocopy: false });
    assert.deepEqual(flags.parseVolumeFlag('my_vol.1-x:/data:ro,nocopy'), {
      kind: 'volume',
      name: 'my_vol.1-x',
      target: '/data',
      readonly: true,
      nocopy: true,
    });
  });
  test('a target alone: an anonymous volume', () => {
    assert.deepEqual(flags.parseVolumeFlag('/data'), { kind: 'anonymous', target: '/data', readonly: false });
  });
  test('bad specifications', () => {
    const FLAG = '"-v, --volume"';
    assertUsageError(() => flags.parseVolumeFlag('relative:path'), FLAG, "invalid mount path: 'path' mount path must be absolute");
    assertUsageError(() => flags.parseVolumeFlag('relative/path:/x'), FLAG, '"relative/path" includes invalid characters for a local volume name');
    assertUsageError(() => flags.parseVolumeFlag('./here:/x'), FLAG, 'invalid characters');
    assertUsageError(() => flags.parseVolumeFlag('x:/data'), FLAG, 'invalid characters'); // one character is not a volume name
    assertUsageError(() => flags.parseVolumeFlag('data'), FLAG, 'must be absolute');
    assertUsageError(() => flags.parseVolumeFlag('/h:/c:xyz'), FLAG, 'invalid mode: xyz');
    assertUsageError(() => flags.parseVolumeFlag('/h:/c:ro,rw'), FLAG, 'invalid mode: ro,rw');
    assertUsageError(() => flags.parseVolumeFlag('/h:/c:'), FLAG, 'invalid mode');
    assertUsageError(() => flags.parseVolumeFlag('/h:/'), FLAG, "destination can't be '/'");
    assertUsageError(() => flags.parseVolumeFlag('/a:/b:ro:x'), FLAG, 'invalid volume specification');
    assertUsageError(() => flags.parseVolumeFlag(''), FLAG, 'invalid volume specification');
    assertUsageError(() => flags.parseVolumeFlag('/data:ro'), FLAG, 'invalid volume specification');
    assertUsageError(() => flags.parseVolumeFlag(':/data'), FLAG, 'invalid volume specification');
    assertUsageError(() => flags.parseVolumeFlag('vol:/d:rshared'), FLAG, 'bind mounts only');
    assertUsageError(() => flags.parseVolumeFlag('/h:/d:nocopy'), FLAG, 'volumes only');
  });
});

describe('--tmpfs', () => {
  test('target and options', () => {
    assert.deepEqual(flags.parseTmpfsFlag('/run'), { target: '/run', options: [] });
    assert.deepEqual(flags.parseTmpfsFlag('/run:rw,exec,size=64m,mode=1777,uid=1000,nr_inodes=1k'), {
      target: '/run',
      options: ['rw', 'exec', 'size=64m', 'mode=1777', 'uid=1000', 'nr_inodes=1k'],
    });
    assert.deepEqual(flags.parseTmpfsFlag('/a/b/:size=50%').target, '/a/b');
  });
  test('bad values', () => {
    assertUsageError(() => flags.parseTmpfsFlag('run'), '"--tmpfs"', 'must be absolute');
    assertUsageError(() => flags.parseTmpfsFlag('/'), '"--tmpfs"', "can't be '/'");
    assertUsageError(() => flags.parseTmpfsFlag('/run:bogus'), '"--tmpfs"', 'invalid tmpfs option "bogus"');
    assertUsageError(() => flags.parseTmpfsFlag('/run:size=big'), '"--tmpfs"', 'invalid value in tmpfs option "size=big"');
    assertUsageError(() => flags.parseTmpfsFlag('/run:mode=999'), '"--tmpfs"', 'mode=999');
    assertUsageError(() => flags.parseTmpfsFlag('/run:colour=red'), '"--tmpfs"', 'colour=red');
  });
  test('merging: a later flag replaces its opposite, a later key=value its key', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'ro', 'size=2m', 'rw']), [
      'nosuid',
      'nodev',
      'rprivate',
      'exec',
      'size=2m',
      'rw',
    ]);
  });
});

describe('-p / --publish', () => {
  test('forms', () => {
    assert.deepEqual(flags.parsePublish('8080:80'), [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(flags.parsePublish('80'), [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(flags.parsePublish('127.0.0.1:5353:53/udp'), [{ hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' }]);
    assert.deepEqual(flags.parsePublish('127.0.0.1::80'), [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(flags.parsePublish('[::1]:8080:80'), [{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(flags.parsePublish('8000-8001:80-81/sctp'), [
      { hostIp: '', hostPort: 8000, containerPort: 80, protocol: 'sctp' },
      { hostIp: '', hostPort: 8001, containerPort: 81, protocol: 'sctp' },
    ]);
    assert.deepEqual(flags.parsePublish('8000-8010:80'), [{ hostIp: '', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp' }]);
    const one = (value) => flags.parsePublish(value).map((p) => [p.hostIp, p.hostPort, p.containerPort, p.protocol]);
    assert.deepEqual(one('53/UDP'), [['', 0, 53, 'udp']]);
    assert.deepEqual(one('[::1]::80/udp'), [['::1', 0, 80, 'udp']]);
    assert.deepEqual(one('0:80'), [['', 0, 80, 'tcp']]);
    assert.deepEqual(one('65535:1'), [['', 65535, 1, 'tcp']]);
    assert.deepEqual(one('0.0.0.0:8080:80/tcp'), [['0.0.0.0', 8080, 80, 'tcp']]);
    assert.deepEqual(one('127.0.0.1::7000-7001'), [
      ['127.0.0.1', 0, 7000, 'tcp'],
      ['127.0.0.1', 0, 7001, 'tcp'],
    ]);
  });
  test('as the network takes them: 0.0.0.0 is no address, a host range onto one port and sctp refused', () => {
    const { publishedPorts } = load('manager/run/create');
    assert.deepEqual(publishedPorts([...flags.parsePublish('0.0.0.0:8080:80'), ...flags.parsePublish('127.0.0.1::53/udp')]), [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIP: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' },
    ]);
    assert.throws(() => publishedPorts(flags.parsePublish('8000-8010:80')), { name: 'UsageError', message: /a host port range onto one container port is not supported/ });
    assert.throws(() => publishedPorts(flags.parsePublish('80/sctp')), { name: 'UsageError', message: /sctp is not supported/ });
  });
  test('bad values', () => {
    const FLAG = '"-p, --publish"';
    assertUsageError(() => flags.parsePublish('99999:80'), FLAG, 'invalid host port: 99999');
    assertUsageError(() => flags.parsePublish('80:99999'), FLAG, 'invalid container port: 99999');
    assertUsageError(() => flags.parsePublish('8080:0'), FLAG, 'invalid container port: 0');
    assertUsageError(() => flags.parsePublish('8080:'), FLAG, 'no container port');
    assertUsageError(() => flags.parsePublish('80/icmp'), FLAG, 'invalid protocol: icmp');
    assertUsageError(() => flags.parsePublish('8000-8002:80-81'), FLAG, 'invalid ranges');
    assertUsageError(() => flags.parsePublish('1.2.3:80:80'), FLAG, 'invalid IP address: 1.2.3');
    assertUsageError(() => flags.parsePublish('http:80'), FLAG, 'invalid host port: http');
    assertUsageError(() => flags.parsePublish(''), FLAG, 'no container port');
    assertUsageError(() => flags.parsePublish('abc'), FLAG, 'invalid container port: abc');
    assertUsageError(() => flags.parsePublish('81-80'), FLAG, 'invalid container port: 81-80');
    assertUsageError(() => flags.parsePublish('-5'), FLAG, 'invalid container port: -5');
    assertUsageError(() => flags.parsePublish('1:2:3:4'), FLAG, 'invalid IP address: 1:2');
    assertUsageError(() => flags.parsePublish('127.0.0.1:80'), FLAG, 'invalid host port: 127.0.0.1');
  });
});

describe('-u, -w, --network, --cap-add/--cap-drop, --security-opt', () => {
  test('user', () => {
    assert.deepEqual(flags.parseUser('nobody'), { user: 'nobody' });
    assert.deepEqual(flags.parseUser('1000:100'), { user: '1000', group: '100' });
    for (const bad of ['', ':1', '1:', 'a:b:c', 'a b']) assertUsageError(() => flags.parseUser(bad), '"-u, --user"');
  });
  test('workdir', () => {
    assert.equal(flags.parseWorkdir('/srv'), '/srv');
    assertUsageError(() => flags.parseWorkdir('srv'), '"-w, --workdir"', 'needs to be an absolute path');
  });
  test('network', () => {
    assert.equal(flags.parseNetworkMode('bridge'), 'bridge');
    assert.equal(flags.parseNetworkMode('default'), 'bridge');
    assert.equal(flags.parseNetworkMode('none'), 'none');
    assert.equal(flags.parseNetworkMode('host'), 'host');
    assertUsageError(() => flags.parseNetworkMode('container:x'), '"--network"');
  });
  test('capabilities: CAP_ prefix optional, any case, ALL, unknown names refused', () => {
    assert.deepEqual(flags.parseCapabilities(['net_admin', 'CAP_SYS_ADMIN', 'Sys_Admin', 'all'], ['chown']), {
      add: ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'ALL'],
      drop: ['CAP_CHOWN'],
    });
    assertUsageError(() => flags.parseCapabilities(['foo'], []), '"--cap-add"', 'unknown capability: "CAP_FOO"');
    assertUsageError(() => flags.parseCapabilities([], ['CAP_NOPE']), '"--cap-drop"', 'unknown capability: "CAP_NOPE"');
  });
  test('security options', () => {
    assert.deepEqual(flags.parseSecurityOpt(['seccomp=unconfined']), { seccomp: 'unconfined' });
    assert.deepEqual(flags.parseSecurityOpt(['seccomp:unconfined', 'no-new-privileges']), { seccomp: 'unconfined', noNewPrivileges: true });
    assert.deepEqual(flags.parseSecurityOpt(['no-new-privileges=false', 'label=disable', 'apparmor=unconfined']), { noNewPrivileges: false });
    assert.deepEqual(flags.parseSecurityOpt(['seccomp=builtin']), { seccomp: 'default' });
    const file = path.join(tmp, 'profile.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    assert.deepEqual(flags.parseSecurityOpt([`seccomp=${file}`]).seccomp, {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
  });
  test('bad security options', () => {
    assertUsageError(() => flags.parseSecurityOpt(['seccomp']), '"--security-opt"', 'seccomp needs a value');
    assertUsageError(() => flags.parseSecurityOpt(['seccomp=/nonexistent/profile.json']), '--security-opt seccomp=/nonexistent/profile.json', 'ENOENT');
    assertUsageError(() => flags.parseSecurityOpt(['no-new-privileges=maybe']), '"--security-opt"');
    assertUsageError(() => flags.parseSecurityOpt(['apparmor=docker-default']), 'not supported');
    assertUsageError(() => flags.parseSecurityOpt(['colour=blue']), '"--security-opt"', 'unknown option "colour"');
    const bad = (name, doc, ...patterns) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
      assertUsageError(() => flags.parseSecurityOpt([`seccomp=${file}`]), `seccomp=${file}`, ...patterns);
    };
    bad('notjson.json', '{nope', 'decoding seccomp profile failed');
    bad('noaction.json', { syscalls: [] }, 'defaultAction: missing');
    bad('badaction.json', { defaultAction: 'SCMP_ACT_MAYBE' }, 'unknown action "SCMP_ACT_MAYBE"');
    bad('bothnames.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }, "syscalls[0]: use either 'name' or 'names'");
    bad('bothArch.json', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, "use either 'architectures' or 'archMap'");
    bad('badop.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }, 'syscalls[0].args[0].op');
    bad('badindex.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, 'index must be 0 to 5');
    bad('badkernel.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'four' } }] }, 'minKernel');
    bad('badarch.json', { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, 'unknown value "SCMP_ARCH_Z80"');
  });
});

describe('command and image defaults', () => {
  const image = { Entrypoint: ['/entry', '-x'], Cmd: ['serve', '--port', '80'] };
  test('Entrypoint + Cmd, arguments replace Cmd, --entrypoint drops the image\'s Cmd', () => {
    assert.deepEqual(resolveCommand(image, {}), ['/entry', '-x', 'serve', '--port', '80']);
    assert.deepEqual(resolveCommand(image, { command: ['other'] }), ['/entry', '-x', 'other']);
    assert.deepEqual(resolveCommand(image, { entrypoint: '/bin/sh' }), ['/bin/sh']);
    assert.deepEqual(resolveCommand(image, { entrypoint: '/bin/sh', command: ['-c', 'id'] }), ['/bin/sh', '-c', 'id']);
    assert.deepEqual(resolveCommand(image, { entrypoint: '', command: ['ls'] }), ['ls']);
    assert.deepEqual(resolveCommand({ Cmd: ['sh'] }, {}), ['sh']);
    assert.deepEqual(resolveCommand({ Entrypoint: null, Cmd: null }, { command: ['true'] }), ['true']);
  });
  test('nothing to run is an error', () => {
    assertUsageError(() => resolveCommand({}, {}), 'no command specified');
    assertUsageError(() => resolveCommand(undefined, { command: [] }), 'no command specified');
    assertUsageError(() => resolveCommand(image, { entrypoint: '' }), 'no command specified');
  });
  test('stop signal, exposed ports, volumes, labels', () => {
    const d = imageDefaults({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      config: {
        StopSignal: 'sigquit',
        ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8080': {}, 'bogus/tcp': {} },
        Volumes: { '/data': {}, '/var/log': {} },
        Labels: { a: 'b' },
      },
    });
    assert.deepEqual(d, {
      stopSignal: 'SIGQUIT',
      exposedPorts: [
        { port: 53, protocol: 'udp' },
        { port: 80, protocol: 'tcp' },
        { port: 8080, protocol: 'tcp' },
      ],
      anonymousVolumes: ['/data', '/var/log'],
      labels: { a: 'b' },
    });
    const bare = imageDefaults({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    assert.deepEqual(bare, { stopSignal: 'SIGTERM', exposedPorts: [], anonymousVolumes: [], labels: {} });
  });
  test('signals', () => {
    assert.equal(normalizeSignal('TERM'), 'SIGTERM');
    assert.equal(normalizeSignal('SIGUSR1'), 'SIGUSR1');
    assert.equal(normalizeSignal('9'), '9');
    assert.equal(normalizeSignal('SIGRTMIN+3'), 'SIGRTMIN+3');
    assertUsageError(() => normalizeSignal('SIGNOPE'), 'invalid signal: SIGNOPE');
    assertUsageError(() => normalizeSignal('99'), 'invalid signal: 99');
  });
});

describe('parseRunFlags: every flag checked before anything is made', () => {
  const { parseRunFlags, runMounts, parseContainerName, parseHostname } = load('manager/spec/run-flags');
  test('a full set of flags', () => {
    const parsed = parseRunFlags(
      {
        interactive: true,
        tty: true,
        rm: true,
        name: 'web-1',
        env: ['A=1', 'FROM_CALLER'],
        workdir: '/srv',
        user: 1000,
        entrypoint: '',
        hostname: 'web',
        volume: ['/host:/data:ro', 'named:/named', '/anon'],
        tmpfs: ['/run:size=1m'],
        readOnly: true,
        memory: '64m',
        memorySwap: -1,
        shmSize: '1m',
        cpus: 0.5,
        cpuShares: 512,
        cpusetCpus: 0,
        pidsLimit: 10,
        capAdd: ['net_admin'],
        capDrop: ['chown'],
        securityOpt: ['seccomp=unconfined', 'no-new-privileges'],
        network: 'none',
        publish: ['8080:80', 53],
      },
      { FROM_CALLER: 'x' },
    );
    assert.deepEqual(parsed, {
      interactive: true,
      tty: true,
      rm: true,
      name: 'web-1',
      env: ['A=1', 'FROM_CALLER=x'],
      workdir: '/srv',
      user: '1000',
      entrypoint: '',
      hostname: 'web',
      volumes: [
        { kind: 'bind', source: '/host', target: '/data', readonly: true },
        { kind: 'volume', name: 'named', target: '/named', readonly: false, nocopy: false },
        { kind: 'anonymous', target: '/anon', readonly: false },
      ],
      tmpfs: [{ target: '/run', options: ['size=1m'] }],
      readOnly: true,
      shmSize: 1024 * 1024,
      resources: { memory: 64 * MiB, memorySwap: -1, cpus: { quota: 50000, period: 100000 }, cpuShares: 512, cpusetCpus: '0', pidsLimit: 10 },
      privileged: false,
      capAdd: ['CAP_NET_ADMIN'],
      capDrop: ['CAP_CHOWN'],
      seccomp: 'unconfined',
      noNewPrivileges: true,
      network: 'none',
      publish: [
        { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostIp: '', hostPort: 0, containerPort: 53, protocol: 'tcp' },
      ],
    });
    assert.deepEqual(
      runMounts(parsed, (v) => (v.kind === 'volume' ? `/var/lib/mydocker/volumes/${v.name}/_data` : '/var/lib/mydocker/volumes/anon/_data')),
      [
        { kind: 'bind', source: '/host', target: '/data', readonly: true },
        { kind: 'bind', source: '/var/lib/mydocker/volumes/named/_data', target: '/named', readonly: false },
        { kind: 'bind', source: '/var/lib/mydocker/volumes/anon/_data', target: '/anon', readonly: false },
        { kind: 'tmpfs', target: '/run', options: ['size=1m'] },
      ],
    );
  });
  test('no flags: docker\'s defaults', () => {
    assert.deepEqual(parseRunFlags({}), {
      interactive: false,
      tty: false,
      rm: false,
      env: [],
      volumes: [],
      tmpfs: [],
      readOnly: false,
      resources: {},
      privileged: false,
      capAdd: [],
      capDrop: [],
      network: 'bridge',
      publish: [],
    });
  });
  test('the first bad value stops it, naming its flag', () => {
    assertUsageError(() => parseRunFlags({ publish: ['99999:80'] }), '"-p, --publish"', '99999');
    assertUsageError(() => parseRunFlags({ memory: '12q' }), '"-m, --memory"', "invalid size: '12q'");
    assertUsageError(() => parseRunFlags({ volume: ['relative:path'] }), '"-v, --volume"', 'must be absolute');
    assertUsageError(() => parseRunFlags({ shmSize: 'lots' }), '"--shm-size"');
    assertUsageError(() => parseRunFlags({ user: 'a:b:c' }), '"-u, --user"');
    assertUsageError(() => parseRunFlags({ name: 'bad name' }), 'invalid container name (bad name)');
    assertUsageError(() => parseRunFlags({ hostname: 'a b' }), '"-h, --hostname"');
    assertUsageError(() => parseRunFlags({ volume: ['/a:/data'], tmpfs: ['/data'] }), 'duplicate mount point: /data');
    assertUsageError(() => parseRunFlags({ network: 'weave' }), '"--network"');
  });
  test('names and hostnames', () => {
    assert.equal(parseContainerName('/web'), 'web');
    assertUsageError(() => parseContainerName('a'), 'invalid container name (a)');
    assertUsageError(() => parseContainerName('-x'), 'invalid container name');
    assert.equal(parseHostname('my-host.example'), 'my-host.example');
    assertUsageError(() => parseHostname('x'.repeat(65)), '"-h, --hostname"');
    assertUsageError(() => parseHostname(''), '"-h, --hostname"');
  });
});
