// Reading the JSON documents users hand the runtime (process.json, resources, config.json) and
// checking them against our schemas; every failure is a ConfigError naming the document.
import fs = require('node:fs');
import { type SchemaName, SchemaError, validate } from '../schemas/validate';
import { ConfigError } from './errors';

/** Parses `text` and validates it as `schema`; `what` names the document in messages. */
export function parseValidated<T>(text: string, schema: SchemaName, what: string): T {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what}: invalid JSON: ${(err as Error).message}`);
  }
  try {
    validate(schema, doc, what);
  } catch (err) {
    if (err instanceof SchemaError) throw new ConfigError(err.message);
    throw err;
  }
  return doc as T;
}

/** Reads a file (or stdin for "-") and parses and validates it. */
export function readValidated<T>(file: string, schema: SchemaName, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what}: cannot read it: ${(err as NodeJS.ErrnoException).code}`);
  }
  return parseValidated<T>(text, schema, what);
}
