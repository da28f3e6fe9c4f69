// runtime-spec runtime.md: State and the Query State operation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setupRuntime, explain } from './lib/runtime.mjs';
import { assertOk, assertFails } from './lib/checks.mjs';

const rt = setupRuntime({ idPrefix: 'state' });

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

test('runtime.md#state: a created container has ociVersion, id, status, pid, bundle and annotations', () => {
  const annotations = { 'org.example.key': 'value', 'com.example.empty': '' };
  const bundle = rt.bundle({ args: ['sleep', '30'], annotations });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const r = rt.run(['state', c.id]);
  assertOk(r, 'state');
  const s = JSON.parse(r.stdout); // runtime.md#query-state: "MUST return the state ... as specified in the State section"
  // ociVersion (string, REQUIRED), SemVer v2.0.0 like config.md's ociVersion
  assert.equal(typeof s.ociVersion, 'string');
  assert.match(s.ociVersion, SEMVER);
  // id (string, REQUIRED)
  assert.equal(s.id, c.id);
  // status (string, REQUIRED)
  assert.equal(s.status, 'created');
  // pid (int, REQUIRED when status is created or running on Linux): the container process as seen by the host
  assert.ok(Number.isInteger(s.pid) && s.pid > 0, `pid: ${s.pid}`);
  assert.ok(fs.existsSync(`/proc/${s.pid}`), 'state.pid is not a host process');
  // bundle (string, REQUIRED): the absolute path to the container's bundle directory
  assert.equal(typeof s.bundle, 'string');
  assert.ok(path.isAbsolute(s.bundle), `bundle is not absolute: ${s.bundle}`);
  assert.equal(fs.realpathSync(s.bundle), fs.realpathSync(bundle));
  // annotations (map, OPTIONAL): the list of annotations associated with the container
  assert.deepEqual(s.annotations, annotations);
});

test('runtime.md#state: the bundle is reported as an absolute path when create was given a relative one', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.run(['create', '--bundle', path.basename(bundle), rt.newId('relbundle')], { cwd: path.dirname(bundle) });
  assertOk(c, 'create with a relative --bundle');
  const id = c.argv[c.argv.length - 1];
  const s = rt.state(id);
  assert.ok(path.isAbsolute(s.bundle), `bundle is not absolute: ${s.bundle}`);
  assert.equal(fs.realpathSync(s.bundle), fs.realpathSync(bundle));
});

test('runtime.md#state: without annotations in config, state.annotations is absent or an empty map', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const s = rt.state(c.id);
  assert.ok(
    s.annotations === undefined || (typeof s.annotations === 'object' && Object.keys(s.annotations).length === 0),
    `annotations: ${JSON.stringify(s.annotations)}`,
  );
});

test('runtime.md#state: status running after start, with the same pid; stopped after the process exits', async () => {
  const bundle = rt.bundle({ args: ['sleep', '1'] });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const created = rt.state(c.id);
  assertOk(rt.run(['start', c.id]), 'start');
  const running = rt.state(c.id);
  assert.equal(running.status, 'running');
  assert.equal(running.pid, created.pid);
  assert.equal(running.id, c.id);
  assert.equal(running.bundle, created.bundle);
  const stopped = await rt.waitForStatus(c.id, 'stopped', 10000);
  assert.equal(stopped.id, c.id);
  assert.equal(stopped.ociVersion, created.ociVersion);
  assert.equal(stopped.bundle, created.bundle);
});

test('runtime.md#state: a container whose process was killed is reported stopped, not running', async () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.runBundle(bundle, { runArgs: ['-d'] });
  assertOk(c, 'run -d');
  const { pid } = rt.state(c.id);
  // Kill the container process behind the runtime's back (as the OOM killer would).
  process.kill(pid, 'SIGKILL');
  const s = await rt.waitForStatus(c.id, 'stopped', 5000);
  assert.equal(s.status, 'stopped');
  assertOk(rt.run(['delete', c.id]), 'delete of the stopped container');
});

test('runtime.md#query-state: "Attempting to query a container that does not exist MUST generate an error"', () => {
  const r = rt.run(['state', rt.newId('missing')]);
  assertFails(r, /does not exist/, 'state of an unknown id');
  assert.equal(r.stdout, '', 'no state printed for an unknown id');
});

test('runtime.md#query-state: "This operation MUST generate an error if it is not provided the ID of a container"', () => {
  const r = rt.run(['state']);
  assertFails(r, undefined, 'state without an id');
  assert.ok(!r.stdout.trim().startsWith('{'), `state printed JSON without an id\n${explain(r)}`);
});

test('runtime.md#state: the state output is one JSON object (parsed as a whole by clients such as go-runc)', () => {
  const bundle = rt.bundle({ args: ['sleep', '30'] });
  const c = rt.create(bundle);
  assertOk(c, 'create');
  const r = rt.run(['state', c.id]);
  assertOk(r, 'state');
  const v = JSON.parse(r.stdout);
  assert.equal(typeof v, 'object');
  assert.ok(!Array.isArray(v));
});
