// runtime/state/timestamp.ts: RFC 3339 UTC timestamps without Date#toISOString (whose first call
// loads the local time zone), for state.json's "created" and the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './lib/dist.mjs';

const { rfc3339 } = load('runtime/state/timestamp');

test('rfc3339 gives what toISOString gives', () => {
  const instants = [
    0,
    1,
    999,
    Date.UTC(2024, 1, 29, 23, 59, 59, 999), // a leap day, the last millisecond
    Date.UTC(2026, 11, 1, 9, 5, 3, 7),
    Date.UTC(1999, 11, 31, 23, 59, 59, 0),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(900, 0, 1), // a year of three digits is zero-padded
  ];
  for (const ms of instants) assert.equal(rfc3339(ms), new Date(ms).toISOString(), String(ms));
});

test('rfc3339 without an argument is now', () => {
  const before = Date.now();
  const now = Date.parse(rfc3339());
  assert.ok(now >= before - 1 && now <= Date.now(), `${now} not between ${before} and ${Date.now()}`);
});
