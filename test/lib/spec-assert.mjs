// Assertions for the manager's bad-input errors: a UsageError (or another ManagerError) with a
// one-line message that names what was wrong.
import assert from 'node:assert/strict';
import { load } from './dist.mjs';

const { ManagerError, UsageError } = load('manager/errors');

/**
 * `fn()` throws a UsageError whose message is one line and matches every pattern.
 * @param {() => unknown} fn
 * @param {...(RegExp|string)} patterns a string must appear literally
 * @returns {Error} the error
 */
export function assertUsageError(fn, ...patterns) {
  return assertManagerError(UsageError, fn, ...patterns);
}

/**
 * Like assertUsageError, for any ManagerError subclass.
 * @param {Function} kind
 * @param {() => unknown} fn
 * @param {...(RegExp|string)} patterns
 */
export function assertManagerError(kind, fn, ...patterns) {
  let error;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected a ${kind.name}, nothing was thrown`);
  assert.ok(error instanceof ManagerError, `expected a ManagerError, got ${error?.name}: ${error?.message}`);
  assert.ok(error instanceof kind, `expected a ${kind.name}, got ${error.name}: ${error.message}`);
  assert.doesNotMatch(error.message, /\n/, 'the message is one line');
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(error.message.includes(p), `message ${JSON.stringify(error.message)} should contain ${JSON.stringify(p)}`);
    else assert.match(error.message, p);
  }
  return error;
}
