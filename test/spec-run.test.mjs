// Generated configs run for real, under runc (the reference) and under our runtime: a busybox
// rootfs, a config.json from buildSpec (schema-checked, written by writeBundle), `run`, and what
// the process sees from the inside: env, workdir (made by ensureWorkdir), ids, hostname, a
// read-only rootfs, tmpfs and bind mounts, capabilities, the default seccomp profile, a profile
// file, --privileged and the cgroup limits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBusyboxRootfs } from '../conformance/lib/bundle.mjs';
import { REPO_ROOT, RuntimeHarness, explain } from '../conformance/lib/runtime.mjs';
import { load } from './lib/dist.mjs';

const { buildSpec } = load('manager/spec/generate');
const { writeBundle } = load('manager/spec/bundle');
const { resolveUser } = load('manager/spec/user');
const { ensureWorkdir } = load('manager/spec/workdir');
const { DEFAULT_CAPABILITIES, hostCapabilities } = load('manager/spec/capabilities');
const { hostDevices } = load('manager/spec/devices');
const flags = load('manager/spec/flags');
const { validate } = load('schemas/validate');
const { CAPABILITY_NAMES } = load('runtime/linux/capabilities');

const RUNTIMES = [
  { name: 'runc', command: 'runc', prefix: 'specrun-runc' },
  { name: 'mydocker-runtime', command: path.join(REPO_ROOT, 'dist', 'mydocker-runtime'), prefix: 'specrun-ours' },
];
const CGROUP_V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

const work = fs.mkdtempSync('/tmp/spec-run-');
const harnesses = RUNTIMES.map((r) => new RuntimeHarness({ command: r.command, idPrefix: r.prefix }));
after(() => {
  for (const h of harnesses) h.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

const IMAGE = {
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  config: { Env: ['PATH=/bin', 'IMAGE_VAR=from-image'], Cmd: ['sh'], WorkingDir: '/' },
};

let seq = 0;

/**
 * A bundle with a fresh busybox rootfs and the config buildSpec makes of IMAGE + `options(rootfs)`,
 * run to completion with `rt`; the script runs under `sh -c`.
 */
function runScript(rt, script, options = () => ({}), image = IMAGE) {
  const dir = fs.mkdtempSync(path.join(work, 'bundle-'));
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const cgroupsPath = `/mydocker-spec-run-${process.pid}-${++seq}`;
  const run = { rootfs: 'rootfs', cgroupsPath, entrypoint: '/bin/sh', command: ['-c', script], ...options(rootfs, dir) };
  const spec = buildSpec(image, run);
  validate('config', spec, 'generated config.json');
  writeBundle(dir, spec);
  const r = rt.runBundle(dir);
  return { ...r, spec, dir, cgroupsPath };
}

function assertRan(r) {
  assert.equal(r.status, 0, explain(r));
}

/** The /proc/<pid>/status hex mask of a capability list. */
function mask(names) {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(CAPABILITY_NAMES.indexOf(n));
  return m.toString(16).padStart(16, '0');
}

const statusLine = (out, field) => new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(out)?.[1];

RUNTIMES.forEach((runtime, i) => {
  const rt = harnesses[i];

  describe(`generated configs under ${runtime.name}`, () => {
    test('env, workdir, user and groups, hostname', () => {
      const r = runScript(
        rt,
        'echo "vars=$RUN_VAR,$IMAGE_VAR,$FROM_CALLER,$HOSTNAME,$HOME"; pwd; id -u; id -g; id -G; hostname',
        (rootfs) => ({
          user: resolveUser(rootfs, 'test:users'),
          env: flags.parseEnvList(['RUN_VAR=from-run', 'IMAGE_VAR=overridden', 'FROM_CALLER'], [], { FROM_CALLER: 'caller' }),
          workdir: flags.parseWorkdir('/tmp'),
          hostname: 'spec-host',
        }),
      );
      assertRan(r);
      assert.deepEqual(r.stdout.trim().split('\n'), ['vars=from-run,overridden,caller,spec-host,/home', '/tmp', '1000', '100', '100', 'spec-host']);
    });

    test('a working directory the image lacks is made first (ensureWorkdir), even with a read-only rootfs', () => {
      const r = runScript(rt, 'pwd; ls -ld . | cut -c1-10', (rootfs) => {
        ensureWorkdir(rootfs, '/new/work');
        return { user: resolveUser(rootfs, 'test'), workdir: '/new/work', readOnly: true };
      });
      assertRan(r);
      assert.deepEqual(r.stdout.trim().split('\n'), ['/new/work', 'drwxr-xr-x']);
    });

    test('a standalone bundle (`mydocker bundle`): the image\'s own command, user and workdir, nothing else given', () => {
      const image = {
        ...IMAGE,
        config: { ...IMAGE.config, User: 'daemon', WorkingDir: '/var', Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo "$(id -u) $(pwd) $IMAGE_VAR $HOME"'] },
      };
      const r = runScript(rt, '', (rootfs) => ({ entrypoint: undefined, command: undefined, cgroupsPath: undefined, user: resolveUser(rootfs, image.config.User) }), image);
      assertRan(r);
      assert.equal(r.stdout, '1 /var from-image /\n');
      assert.equal(r.spec.linux.cgroupsPath, undefined);
      assert.equal(r.spec.hostname, undefined);
    });

    test('a user with supplementary groups (primary gid first)', () => {
      const r = runScript(rt, 'id -u; id -g; id -G', (rootfs) => {
        fs.appendFileSync(path.join(rootfs, 'etc', 'group'), 'extra:x:4242:test\n');
        return { user: resolveUser(rootfs, 'test') };
      });
      assertRan(r);
      assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '1000', '1000 4242']);
    });

    test('read-only rootfs, tmpfs, read-only and read-write bind mounts', () => {
      const roDir = fs.mkdtempSync(path.join(work, 'ro-'));
      const rwDir = fs.mkdtempSync(path.join(work, 'rw-'));
      fs.writeFileSync(path.join(roDir, 'hello'), 'hello from the host\n');
      const script = [
        'touch /newfile; echo "root=$?"',
        'echo data > /scratch/f && echo "tmpfs=$(cat /scratch/f)"',
        'grep " /scratch " /proc/self/mountinfo',
        'cat /ro/hello',
        'touch /ro/new; echo "ro=$?"',
        'echo written > /rw/out && echo rw=ok',
      ].join('; ');
      const r = runScript(rt, script, (rootfs) => ({
        user: resolveUser(rootfs, undefined),
        readOnly: true,
        mounts: [
          { kind: 'tmpfs', ...flags.parseTmpfsFlag('/scratch:size=1m,mode=1777') },
          { ...flags.parseVolumeFlag(`${roDir}:/ro:ro`) },
          { ...flags.parseVolumeFlag(`${rwDir}:/rw`) },
        ],
      }));
      assertRan(r);
      const out = r.stdout;
      assert.match(out, /^root=1$/m, out);
      assert.match(r.stderr, /touch: \/newfile: Read-only file system/, r.stderr);
      assert.match(out, /^tmpfs=data$/m);
      assert.match(out, / \/scratch .* - tmpfs tmpfs rw,.*size=1024k/, out);
      assert.match(out, /^hello from the host$/m);
      assert.match(out, /^ro=1$/m);
      assert.match(r.stderr, /touch: \/ro\/new: Read-only file system/);
      assert.match(out, /^rw=ok$/m);
      assert.equal(fs.readFileSync(path.join(rwDir, 'out'), 'utf8'), 'written\n');
      assert.ok(!fs.existsSync(path.join(roDir, 'new')));
    });

    test('default capabilities and the default seccomp profile: unshare and mount refused, everyday programs fine', () => {
      const script = [
        'grep -E "^(CapEff|CapPrm|CapBnd|Seccomp):" /proc/self/status',
        'unshare -U true; echo "unshare=$?"',
        'mount -t tmpfs none /mnt; echo "mount=$?"',
        'ls /bin >/dev/null && echo "ls=ok"',
        'sh -c "echo child" && echo "fork=ok"',
        'chown 1000 /tmp && echo "chown=ok"',
      ].join('; ');
      const r = runScript(rt, script, (rootfs) => ({ user: resolveUser(rootfs, undefined) }));
      assertRan(r);
      const out = r.stdout;
      for (const field of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(statusLine(out, field), mask(DEFAULT_CAPABILITIES), `${field}\n${out}`);
      assert.equal(statusLine(out, 'Seccomp'), '2');
      assert.match(out, /^unshare=1$/m);
      assert.match(r.stderr, /unshare: unshare\(0x10000000\): Operation not permitted/);
      assert.match(out, /^mount=1$/m);
      assert.match(out, /^ls=ok$/m);
      assert.match(out, /^child\nfork=ok$/m);
      assert.match(out, /^chown=ok$/m);
    });

    test('--cap-add SYS_ADMIN opens mount (capability and seccomp); --cap-drop CHOWN takes chown away', () => {
      const script = [
        'grep "^CapEff:" /proc/self/status',
        'mount -t tmpfs none /mnt && echo "mount=ok"',
        'chown 1000 /tmp; echo "chown=$?"',
      ].join('; ');
      const caps = flags.parseCapabilities(['sys_admin'], ['CAP_CHOWN']);
      const r = runScript(rt, script, (rootfs) => ({ user: resolveUser(rootfs, undefined), capAdd: caps.add, capDrop: caps.drop }));
      assertRan(r);
      const expected = [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'), 'CAP_SYS_ADMIN'];
      assert.equal(statusLine(r.stdout, 'CapEff'), mask(expected));
      assert.match(r.stdout, /^mount=ok$/m);
      assert.match(r.stdout, /^chown=1$/m);
      assert.match(r.stderr, /Operation not permitted/);
    });

    test('--privileged: every capability, no seccomp, mount and unshare allowed, /sys writable, host devices', () => {
      const device = hostDevices().find((d) => !['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx'].includes(d.path));
      assert.ok(device, 'the host has a device beyond the standard ones');
      const script = [
        'grep -E "^(CapEff|Seccomp):" /proc/self/status',
        'mount -t tmpfs none /mnt && echo "mount=ok"',
        'unshare -U true && echo "unshare=ok"',
        'grep " /sys " /proc/self/mountinfo | cut -d" " -f6',
        `test -${device.type} ${device.path} && echo "device=ok"`,
        'ls /proc/keys >/dev/null && echo "unmasked=ok"',
      ].join('; ');
      const r = runScript(rt, script, (rootfs) => ({ user: resolveUser(rootfs, undefined), privileged: true }));
      assertRan(r);
      const out = r.stdout;
      assert.equal(statusLine(out, 'CapEff'), mask(hostCapabilities()));
      assert.equal(statusLine(out, 'Seccomp'), '0');
      assert.match(out, /^mount=ok$/m);
      assert.match(out, /^unshare=ok$/m);
      assert.match(out, /^rw\b/m, `/sys is read-write: ${out}`);
      assert.match(out, /^device=ok$/m, `${device.path}: ${out}`);
      assert.match(out, /^unmasked=ok$/m);
    });

    test('--security-opt seccomp=FILE: a docker-format profile is converted and enforced', () => {
      const file = path.join(work, `profile-${runtime.prefix}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [
            { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
            { name: 'rmdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13, includes: { caps: ['CAP_SYS_ADMIN'] } },
          ],
        }),
      );
      const { seccomp } = flags.parseSecurityOpt([`seccomp=${file}`]);
      const r = runScript(rt, 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/d; echo "mkdir=$?"; touch /tmp/f && echo "touch=ok"', (rootfs) => ({
        user: resolveUser(rootfs, undefined),
        seccomp,
      }));
      assertRan(r);
      assert.equal(r.spec.linux.seccomp.syscalls.length, 1, 'the CAP_SYS_ADMIN rule is left out');
      assert.equal(statusLine(r.stdout, 'Seccomp'), '2');
      assert.match(r.stdout, /^mkdir=1$/m);
      assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/d': Permission denied/);
      assert.match(r.stdout, /^touch=ok$/m);
    });

    test('--security-opt seccomp=unconfined: no filter', () => {
      const r = runScript(rt, 'grep "^Seccomp:" /proc/self/status', (rootfs) => ({ user: resolveUser(rootfs, undefined), seccomp: 'unconfined' }));
      assertRan(r);
      assert.equal(statusLine(r.stdout, 'Seccomp'), '0');
    });

    test('--memory, --cpus, --pids-limit, --cpuset-cpus reach the cgroup; it is gone afterwards', () => {
      const files = CGROUP_V2
        ? ['memory/memory.max', 'memory/memory.swap.max', 'cpu/cpu.max', 'pids/pids.max', 'cpuset/cpuset.cpus'].map((f) => `/sys/fs/cgroup/${path.basename(f)}`)
        : [
            '/sys/fs/cgroup/memory/memory.limit_in_bytes',
            '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes',
            '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
            '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
            '/sys/fs/cgroup/pids/pids.max',
            '/sys/fs/cgroup/cpuset/cpuset.cpus',
          ];
      const r = runScript(rt, files.map((f) => `cat ${f}`).join('; '), (rootfs) => ({
        user: resolveUser(rootfs, undefined),
        resources: {
          memory: flags.parseMemory('--memory', '64m'),
          cpus: flags.parseCpus('0.5'),
          pidsLimit: flags.parsePidsLimit('50'),
          cpusetCpus: flags.parseCpuset('0'),
        },
      }));
      assertRan(r);
      const expected = CGROUP_V2 ? ['67108864', '67108864', '50000 100000', '50', '0'] : ['67108864', '134217728', '50000', '100000', '50', '0'];
      assert.deepEqual(r.stdout.trim().split('\n'), expected);
      const hostCgroup = CGROUP_V2 ? `/sys/fs/cgroup${r.cgroupsPath}` : `/sys/fs/cgroup/memory${r.cgroupsPath}`;
      assert.ok(!fs.existsSync(hostCgroup), `${hostCgroup} is removed with the container`);
    });
  });
});
