// The UPSTREAM OCI runtime-spec JSON Schemas (draft-04) that Debian ships in
// golang-github-opencontainers-specs-dev, compiled with ajv-draft-04: a reference verdict for
// the documents our tests generate. Debian 12 ships runtime-spec 1.0.2-dev (early 2023), older than
// the spec our own schemas follow (1.2/1.3): see test/schemas.test.mjs for the known differences.
//
//   import { upstreamVerdict } from './lib/upstream-schemas.mjs';
//   assert.equal(upstreamVerdict(config), true);
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export const UPSTREAM_SCHEMA_DIR = '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';

/** true when the Debian package with the upstream schemas is installed */
export const upstreamAvailable = existsSync(join(UPSTREAM_SCHEMA_DIR, 'config-schema.json'));

const BASE = 'https://upstream.opencontainers.invalid/runtime-spec/schema/';
let ajv;

function upstreamAjv() {
  if (ajv) return ajv;
  if (!upstreamAvailable) {
    throw new Error(
      `upstream OCI schemas not found in ${UPSTREAM_SCHEMA_DIR} (apt-get install golang-github-opencontainers-specs-dev)`,
    );
  }
  const Ajv04 = require('ajv-draft-04');
  const AjvClass = Ajv04.default ?? Ajv04;
  // The upstream files are not strict-mode clean ($ref with siblings, big integer limits): strict off.
  ajv = new AjvClass({ strict: false, allErrors: false });
  for (const file of readdirSync(UPSTREAM_SCHEMA_DIR)) {
    if (!file.endsWith('.json')) continue;
    const schema = JSON.parse(readFileSync(join(UPSTREAM_SCHEMA_DIR, file), 'utf8'));
    // The files carry no id; give each one so that their relative $refs ("defs.json#/...") resolve.
    schema.id = BASE + file;
    ajv.addSchema(schema);
  }
  return ajv;
}

function validator(file) {
  const fn = upstreamAjv().getSchema(BASE + file);
  if (!fn) throw new Error(`upstream schema ${file} not found`);
  return fn;
}

/** The upstream verdict for a config.json document: true when config-schema.json accepts it. */
export function upstreamVerdict(doc) {
  return validator('config-schema.json')(doc) === true;
}

/** The upstream verdict for a state document (state-schema.json). */
export function upstreamStateVerdict(doc) {
  return validator('state-schema.json')(doc) === true;
}

/** The upstream errors (ajv ErrorObjects) for a config.json document, or null when it is accepted. */
export function upstreamConfigErrors(doc) {
  const fn = validator('config-schema.json');
  return fn(doc) ? null : fn.errors;
}
