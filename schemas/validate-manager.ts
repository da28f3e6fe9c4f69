// The manager's documents (image manifest, index and config, its own metadata) are validated
// by a module of their own, generated/manager-validators.js, so that the runtime's bundle and
// start-up do not carry them.
import { check, type GeneratedValidator } from './validate';

let validators: Record<string, GeneratedValidator> | undefined;

/**
 * Throws a SchemaError naming the JSON path when `doc` does not match the schema `name`: the
 * camel-cased file name of schemas/manager/<name>.schema.json (imageManifest for
 * image-manifest.schema.json).
 */
export function validateManagerDocument(name: string, doc: unknown, what: string): void {
  validators ??= require('./generated/manager-validators.js') as Record<string, GeneratedValidator>;
  check(validators[name], name, doc, what);
}
