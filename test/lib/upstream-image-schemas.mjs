// The UPSTREAM OCI image-spec JSON Schemas (draft-04) that Debian ships in
// golang-github-opencontainers-image-spec-dev (1.1.0-rc2), compiled with ajv-draft-04: a
// reference verdict for image manifests, indexes and configs.
//
//   import { upstreamImageVerdict } from './lib/upstream-image-schemas.mjs';
//   upstreamImageVerdict('image-manifest-schema.json', doc) -> true | false
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export const UPSTREAM_IMAGE_SCHEMA_DIR = '/usr/share/gocode/src/github.com/opencontainers/image-spec/schema';

const BASE = 'https://upstream.opencontainers.invalid/image-spec/schema/';
let ajv;

/** Drops the nested "id"s (each would move the base of the relative $refs below it). */
function withoutNestedIds(node, top = true) {
  if (Array.isArray(node)) return node.map((n) => withoutNestedIds(n, false));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) if (!(k === 'id' && !top && typeof v === 'string')) out[k] = withoutNestedIds(v, false);
  return out;
}

function upstreamAjv() {
  if (ajv) return ajv;
  if (!existsSync(join(UPSTREAM_IMAGE_SCHEMA_DIR, 'image-manifest-schema.json'))) {
    throw new Error(`upstream image-spec schemas not found in ${UPSTREAM_IMAGE_SCHEMA_DIR} (apt-get install golang-github-opencontainers-image-spec-dev)`);
  }
  const Ajv04 = require('ajv-draft-04');
  const AjvClass = Ajv04.default ?? Ajv04;
  // not strict-mode clean upstream; formats (uri, date-time) are not checked by either side
  const instance = new AjvClass({ strict: false, validateFormats: false, allErrors: false });
  for (const file of readdirSync(UPSTREAM_IMAGE_SCHEMA_DIR)) {
    if (!file.endsWith('.json')) continue;
    const schema = withoutNestedIds(JSON.parse(readFileSync(join(UPSTREAM_IMAGE_SCHEMA_DIR, file), 'utf8')));
    schema.id = BASE + file;
    delete schema.$schema; // "https://json-schema.org/draft-04/schema#": ajv knows draft-04 by its http URL
    instance.addSchema(schema);
  }
  ajv = instance;
  return ajv;
}

/** true when the upstream schema `file` accepts `doc`. */
export function upstreamImageVerdict(file, doc) {
  const fn = upstreamAjv().getSchema(BASE + file);
  if (!fn) throw new Error(`upstream schema ${file} not found`);
  return fn(doc);
}
