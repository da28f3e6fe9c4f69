// native/linux-constants.ts: the signal and errno numbers the runtime uses instead of loading
// node:os, held against node:os on this machine.
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { SIGNALS, ERRNO, errnoName, errnoValue } = load('native/linux-constants');

test('SIGNALS is os.constants.signals: every name, alias and number', () => {
  assert.deepEqual({ ...SIGNALS }, { ...os.constants.signals });
});

test('ERRNO values are os.constants.errno values', () => {
  for (const [name, value] of Object.entries(ERRNO)) assert.equal(value, os.constants.errno[name], name);
});

test('errnoName and errnoValue translate both ways; an unknown number is named as a number', () => {
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoName(16), 'EBUSY');
  assert.equal(errnoValue('EBUSY'), 16);
  assert.equal(errnoValue('ENOTANERRNO'), undefined);
  assert.equal(errnoName(100000), 'errno 100000');
});
