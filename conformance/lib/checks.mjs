// Assertions shared by the conformance test files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { explain, processAlive, processesWithToken, processesOfBundle, leftoverProcesses, sleep } from './runtime.mjs';

/**
 * Assert that a runtime invocation succeeded (exit status 0).
 * @param {import('./runtime.mjs').RunResult} r
 * @param {string} [what]
 */
export function assertOk(r, what = 'command') {
  assert.equal(r.status, 0, `${what} should succeed\n${explain(r)}`);
}

/**
 * Assert that a runtime invocation failed the way runtime.md#errors and the runc CLI expect:
 * it exited (no signal, no timeout) with a non-zero status and wrote a message on stderr.
 * @param {import('./runtime.mjs').RunResult} r
 * @param {RegExp} [message] a pattern stderr must match
 * @param {string} [what]
 */
export function assertFails(r, message, what = 'command') {
  assert.ok(!r.error, `${what}: runtime did not run to completion: ${r.error?.message}\n${explain(r)}`);
  assert.equal(r.signal, null, `${what} was killed by a signal\n${explain(r)}`);
  assert.notEqual(r.status, 0, `${what} should fail\n${explain(r)}`);
  assert.ok(r.stderr.trim().length > 0, `${what} should explain its failure on stderr\n${explain(r)}`);
  if (message) assert.match(r.stderr, message, `${what}: unexpected error message\n${explain(r)}`);
}

/**
 * Assert that a failed operation left nothing behind (runtime.md#errors: "generating an error
 * MUST leave the state of the environment as if the operation were never attempted"):
 *  - `id` (when given) is not listed by the runtime and `state id` fails,
 *  - no process started by the invocation survives (leftoverProcesses: e.g. a blocked init),
 *  - no process carrying the invocation's token survives,
 *  - no container process of `bundle` (when given) runs (processesOfBundle),
 *  - the state root holds no entry named like `id`.
 *
 * @param {import('./runtime.mjs').RuntimeHarness} rt
 * @param {import('./runtime.mjs').RunResult} r the failed invocation
 * @param {{id?: string, bundle?: string}} [opts] bundle: the bundle directory of the failed
 *   operation, to recognise its leftover processes
 */
export async function assertNoSideEffects(rt, r, { id, bundle } = {}) {
  // A runtime may still be tearing down a helper process for a moment after it exits.
  let leftover = [];
  for (let i = 0; i < 20; i++) {
    leftover = [...leftoverProcesses(r, bundle ? [bundle] : []), ...processesWithToken(r.token)];
    if (bundle) leftover.push(...processesOfBundle(bundle));
    leftover = [...new Set(leftover)];
    if (leftover.length === 0) break;
    await sleep(50);
  }
  assert.deepEqual(leftover, [], `processes left behind by a failed operation: ${leftover.join(' ')}\n${explain(r)}`);
  if (id !== undefined && id !== '') {
    assert.ok(!rt.listIds().includes(id), `${id} is listed after a failed operation\n${explain(r)}`);
    const s = rt.run(['state', id]);
    assert.notEqual(s.status, 0, `state ${id} succeeds after a failed operation: ${s.stdout}`);
    if (!id.includes('/') && id !== '.' && id !== '..') {
      assert.ok(!fs.existsSync(path.join(rt.root, id)), `state directory ${path.join(rt.root, id)} left behind`);
    }
  }
}

/**
 * Wait until `file` exists (polling), or throw after timeoutMs.
 * @param {string} file
 * @param {number} [timeoutMs=10000]
 */
export async function waitForFile(file, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Wait until `pid` is gone (or a zombie).
 * @param {number} pid
 * @param {number} [timeoutMs=5000]
 * @returns {Promise<boolean>} true if it went away
 */
export async function waitForProcessGone(pid, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * A bind mount entry for config.json.
 * @param {string} source host path
 * @param {string} destination container path
 * @param {string[]} [options=['rbind','rw']]
 */
export function bindMount(source, destination, options = ['rbind', 'rw']) {
  return { destination, type: 'bind', source, options };
}

/**
 * Create `<bundle>/<name>` (a host directory to bind into a container) and return its path.
 * The directory is made world-writable so containers running as non-root users can write too.
 * @param {string} bundle
 * @param {string} [name='data']
 */
export function hostDir(bundle, name = 'data') {
  const dir = path.join(bundle, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o777);
  return dir;
}
