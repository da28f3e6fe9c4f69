// Every config.json that docker, podman and containerd generated (shared/fixtures) runs a busybox
// container under our runtime, paths rewritten to a test bundle; what the process sees from the
// inside (capabilities, seccomp mode, rlimits, masked and read-only paths) is what the config asks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setupRuntime } from '../conformance/lib/runtime.mjs';
import { assertOk } from '../conformance/lib/checks.mjs';
import { CLIENT_CONFIGS } from './lib/fixtures.mjs';
import { load } from './lib/dist.mjs';

const { CAPABILITY_NAMES } = load('runtime/linux/capabilities');
const rt = setupRuntime({ idPrefix: 'fixture' });
const CHECK = [
  'grep -E "^(CapBnd|CapEff|CapPrm|Seccomp):" /proc/self/status',
  'grep -E "^Max (open files|processes)" /proc/self/limits',
  'ls /sys/firmware | wc -l',
  'grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f6',
  'echo end',
].join('; ');

function mask(names = []) {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(CAPABILITY_NAMES.indexOf(n));
  return m.toString(16).padStart(16, '0');
}

const fixtures = fs.readdirSync(CLIENT_CONFIGS).filter((f) => /config(-\d)?\.json$/.test(f) && !f.includes('update'));

for (const name of fixtures) {
  test(`${name} runs, and the process sees what it asks for`, () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(CLIENT_CONFIGS, name), 'utf8'));
    const bundle = rt.bundle({
      rootfs: 'copy',
      edit: (base) => {
        const c = structuredClone(fixture);
        c.root = { path: 'rootfs', readonly: false };
        c.process.args = ['sh', '-c', CHECK];
        c.process.terminal = false;
        c.process.env = [...(c.process.env ?? []).filter((e) => !e.startsWith('PATH=')), ...base.process.env];
        c.process.cwd = '/';
        delete c.hooks;
        // namespace paths name the client's own namespaces (a pod's network): new ones here
        c.linux.namespaces = c.linux.namespaces.map(({ type }) => ({ type }));
        c.mounts = c.mounts.filter((m) => !(m.type === 'bind' || m.options?.includes('rbind') || m.options?.includes('bind')) || fs.existsSync(m.source));
        c.linux.cgroupsPath = `/mydocker-fixture-${process.pid}-${name.replace(/\W/g, '_')}`;
        return c;
      },
    });
    const r = rt.runBundle(bundle);
    assertOk(r, name);
    const out = r.stdout;
    const caps = fixture.process.capabilities;
    assert.match(out, new RegExp(`CapBnd:\\s+${mask(caps.bounding)}`), `bounding set: ${out}`);
    assert.match(out, new RegExp(`CapEff:\\s+${mask(caps.effective)}`), `effective set: ${out}`);
    assert.match(out, new RegExp(`CapPrm:\\s+${mask(caps.permitted)}`), `permitted set: ${out}`);
    assert.match(out, new RegExp(`Seccomp:\\s+${fixture.linux.seccomp ? 2 : 0}`), `seccomp mode: ${out}`);
    for (const limit of fixture.process.rlimits ?? []) {
      const label = { RLIMIT_NOFILE: 'Max open files', RLIMIT_NPROC: 'Max processes' }[limit.type];
      assert.match(out, new RegExp(`${label}\\s+${limit.soft}\\s+${limit.hard}`), `${limit.type}: ${out}`);
    }
    const lines = out.trim().split('\n');
    if ((fixture.linux.maskedPaths ?? []).includes('/sys/firmware') && fs.existsSync('/sys/firmware')) {
      assert.equal(lines.at(-3), '0', '/sys/firmware is masked (an empty tmpfs)');
    }
    if ((fixture.linux.readonlyPaths ?? []).includes('/proc/sys')) assert.match(lines.at(-2), /^ro\b/, '/proc/sys is read-only');
    assert.equal(lines.at(-1), 'end');
  });
}
