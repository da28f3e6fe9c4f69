// README.md documents every mydocker command and flag: its reference is generated from the
// command table (scripts/cli-reference.mjs), and this fails when it is out of date.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { readmeBlock, reference } from '../scripts/cli-reference.mjs';

test('the mydocker reference in README.md is the one the command table generates', () => {
  const block = readmeBlock(fs.readFileSync('README.md', 'utf8'));
  assert.ok(block, 'README.md has the mydocker-reference markers');
  assert.equal(block, reference(), 'run: node scripts/cli-reference.mjs --write');
});
