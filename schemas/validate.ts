// Typed wrapper around the validators that schemas/compile.mjs generates ahead of time
// (schemas/generated/validators.js, CommonJS, one named export per document kind; the
// manager's documents are in generated/manager-validators.js).
// No ajv compilation happens at runtime: loading the generated module costs a few ms.

export type SchemaName = 'config' | 'process' | 'state' | 'features' | 'resources';

/** The subset of an ajv ErrorObject the generated code produces (messages are off). */
interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  propertyName?: string;
}

export interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

type GeneratedValidators = Record<SchemaName, GeneratedValidator>;

/** A document does not match its schema. `path` is the JSON pointer of the offending value ('/' for the root). */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    /** what was validated, e.g. "config.json" */
    readonly what: string,
    /** JSON pointer (ajv instancePath) of the offending value, '/' for the document itself */
    readonly path: string,
    /** what was expected there, e.g. `must be array` or `missing required property "cwd"` */
    readonly expected: string,
    /** the JSON Schema keyword that failed (type, required, enum, pattern, ...) */
    readonly keyword: string,
  ) {
    super(`${what}: ${path}: ${expected}`);
  }
}

let validators: GeneratedValidators | undefined;

function load(): GeneratedValidators {
  // Loaded on first use so that commands that validate nothing do not pay for it.
  validators ??= require('./generated/validators.js') as GeneratedValidators;
  return validators;
}

/** Throws a SchemaError naming the JSON path and the expectation when `doc` does not match schema `name`. */
export function validate(name: SchemaName, doc: unknown, what: string): void {
  check(load()[name], name, doc, what);
}

/** Checks `doc` with a generated validator; throws a SchemaError (see validate). */
export function check(fn: GeneratedValidator | undefined, name: string, doc: unknown, what: string): void {
  if (typeof fn !== 'function') throw new Error(`no validator for schema ${JSON.stringify(name)}`);
  if (fn(doc)) return;
  const errors = fn.errors ?? [];
  const { path, expected, keyword } = describe(errors);
  throw new SchemaError(what, path, expected, keyword);
}

// Human names for the patterns our schemas use; the pattern itself is still printed.
const PATTERN_NAMES: Record<string, string> = {
  '^/': 'an absolute path',
  '^[^=]+=': 'KEY=value',
  '^RLIMIT_[A-Z]+$': 'an RLIMIT_* name',
  '^CAP_[A-Z_]+$': 'a CAP_* capability name',
  '^[cbup]$': 'one of c, b, u, p',
  '^[rwm]*$': 'a combination of r, w and m',
  '^[1-9][0-9]*[KMG]B$': 'a page size like 2MB',
  '^MB:[^\\n]*$': 'a single line starting with MB:',
};

function pointer(instancePath: string): string {
  return instancePath === '' ? '/' : instancePath;
}

function expectation(e: ValidationError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'type': {
      const t = p.type;
      return `must be ${Array.isArray(t) ? t.join(' or ') : String(t).split(',').join(' or ')}`;
    }
    case 'required':
      return `missing required property ${JSON.stringify(p.missingProperty)}`;
    case 'additionalProperties':
      return `unexpected property ${JSON.stringify(p.additionalProperty)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern': {
      const pattern = String(p.pattern);
      if (pattern.startsWith('^(?:0|[1-9][0-9]*)\\.')) return 'must be a SemVer 2.0.0 version (like 1.2.0)';
      const name = PATTERN_NAMES[pattern];
      return name ? `must be ${name} (pattern "${pattern}")` : `must match pattern "${pattern}"`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minItems':
      return `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return `must have at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'}`;
    case 'maxLength':
      return `must have at most ${String(p.limit)} character${p.limit === 1 ? '' : 's'}`;
    case 'minProperties':
      return `must have at least ${String(p.limit)} propert${p.limit === 1 ? 'y' : 'ies'}`;
    case 'anyOf':
      return 'must match one of the allowed forms';
    case 'oneOf':
      return 'must match exactly one of the allowed forms';
    case 'not':
      return 'must not match the forbidden form';
    case 'if':
      return `must match the "${String(p.failingKeyword)}" schema`;
    default:
      return `fails "${e.keyword}" (${JSON.stringify(p)})`;
  }
}

/** Picks the most useful error of an ajv error list (allErrors off: the innermost comes first). */
function describe(errors: ValidationError[]): { path: string; expected: string; keyword: string } {
  if (errors.length === 0) return { path: '/', expected: 'is invalid', keyword: 'unknown' };
  const last = errors[errors.length - 1]!;
  // "at least one of" (anyOf of required): name every alternative
  if (last.keyword === 'anyOf') {
    const branches = errors.slice(0, -1);
    if (branches.length > 0 && branches.every((e) => e.keyword === 'required' && e.instancePath === last.instancePath)) {
      const names = branches.map((e) => JSON.stringify(e.params.missingProperty));
      return { path: pointer(last.instancePath), expected: `missing required property ${names.join(' or ')}`, keyword: 'required' };
    }
  }
  const first = errors[0]!;
  if (first.propertyName !== undefined) {
    return {
      path: pointer(first.instancePath),
      expected: `property name ${JSON.stringify(first.propertyName)} is invalid: ${expectation(first)}`,
      keyword: 'propertyNames',
    };
  }
  return { path: pointer(first.instancePath), expected: expectation(first), keyword: first.keyword };
}
