// Container names: given (docker's rule) or generated as adjective_surname.
import { randomInt } from '../system/random';
import { UsageError } from '../errors';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Throws a one-line UsageError naming --name when `name` breaks docker's rule. */
export function checkName(name: string): void {
  if (!NAME.test(name) || name.length > 253) {
    throw new UsageError(`--name: invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`);
  }
}

const ADJECTIVES = [
  'agile', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring',
  'eager', 'fancy', 'fierce', 'gentle', 'glad', 'golden', 'happy', 'humble', 'jolly', 'keen',
  'kind', 'lively', 'lucid', 'merry', 'mighty', 'modest', 'nimble', 'noble', 'patient', 'plucky',
  'proud', 'quick', 'quiet', 'rapid', 'serene', 'sharp', 'shiny', 'silent', 'snappy', 'steady',
  'sturdy', 'sunny', 'swift', 'tender', 'tidy', 'vivid', 'wise', 'witty', 'zealous', 'zen',
];

// People who shaped computing and science.
const SURNAMES = [
  'babbage', 'backus', 'bardeen', 'bell', 'berners', 'boole', 'cerf', 'church', 'codd', 'curie',
  'dijkstra', 'einstein', 'engelbart', 'euler', 'faraday', 'fermat', 'feynman', 'gauss', 'goldberg', 'hamilton',
  'hopper', 'kahn', 'kay', 'knuth', 'lamarr', 'lamport', 'liskov', 'lovelace', 'mccarthy', 'meitner',
  'minsky', 'newton', 'noether', 'pascal', 'perlman', 'ritchie', 'shannon', 'sinoussi', 'stallman', 'tesla',
  'thompson', 'torvalds', 'turing', 'vaughan', 'wilkes', 'wirth', 'wozniak', 'yalow', 'yonath', 'zuse',
];

function pick(list: readonly string[]): string {
  return list[randomInt(list.length)]!;
}

/** A docker-like generated name; after a few collisions a number is added (as docker does). */
export function generateName(attempt = 0): string {
  const name = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
  return attempt < 3 ? name : `${name}${randomInt(1000)}`;
}
