// SCMP_ACT_NOTIFY: the listener fd goes to linux.seccomp.listenerPath with the container process
// state (config-linux.md#seccomp), and the agent there decides the notified syscalls.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setupRuntime, sleep } from '../conformance/lib/runtime.mjs';
import { assertFails, assertNoSideEffects, assertOk } from '../conformance/lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'notify' });
const AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'seccomp-agent.py');

function profile(listenerPath) {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath,
    listenerMetadata: 'test-metadata',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  };
}

test('the agent gets the listener and the state, and answers mkdir for the container', { skip: fs.existsSync('/usr/bin/python3') ? false : 'python3 is needed for the agent' }, async (t) => {
  const dir = fs.mkdtempSync('/tmp/seccomp-agent-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'agent.sock');
  const out = path.join(dir, 'state.json');
  const agent = spawn('/usr/bin/python3', [AGENT, socketPath, out, '13'], { stdio: 'inherit' });
  t.after(() => agent.kill('SIGKILL'));
  for (let i = 0; i < 100 && !fs.existsSync(socketPath); i++) await sleep(20);
  const bundle = rt.bundle({ args: ['sh', '-c', 'mkdir /tmp/denied-by-agent 2> /tmp/mkdir.err'], root: { readonly: false }, rootfs: 'copy', linux: { seccomp: profile(socketPath) } });
  const c = rt.create(bundle);
  assertOk(c, 'create with a notify profile');
  const { pid } = rt.state(c.id);
  const seen = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(seen.nfds, 1, 'exactly one fd');
  assert.deepEqual(seen.message.fds, ['seccompFd']);
  assert.equal(seen.message.pid, pid);
  assert.equal(seen.message.metadata, 'test-metadata');
  assert.equal(seen.message.state.id, c.id);
  assert.equal(seen.message.state.status, 'creating');
  assert.equal(seen.message.state.bundle, bundle);
  const started = rt.run(['start', c.id], { stderr: path.join(dir, 'start.err') });
  assertOk(started);
  await rt.waitForStatus(c.id, 'stopped');
  assertOk(rt.run(['delete', c.id]));
  assert.ok(!fs.existsSync(path.join(bundle, 'rootfs', 'tmp', 'denied-by-agent')), 'mkdir did not happen');
  assert.match(fs.readFileSync(path.join(bundle, 'rootfs', 'tmp', 'mkdir.err'), 'utf8'), /Permission denied/, 'the agent answered EACCES');
});

test('SCMP_ACT_NOTIFY without a listenerPath is refused, nothing left', async () => {
  const p = profile(undefined);
  delete p.listenerPath;
  delete p.listenerMetadata;
  const bundle = rt.bundle({ args: ['true'], linux: { seccomp: p } });
  const r = rt.create(bundle);
  assertFails(r, /linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});

test('a listenerPath nobody listens on fails create, nothing left', async () => {
  const bundle = rt.bundle({ args: ['true'], linux: { seccomp: profile('/tmp/no-such-agent.sock') } });
  const r = rt.create(bundle);
  assertFails(r, /linux.seccomp.listenerPath: connect \/tmp\/no-such-agent.sock: no such file or directory/);
  await assertNoSideEffects(rt, r, { id: r.id, bundle });
});
