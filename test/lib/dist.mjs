// Loads the compiled runtime modules (tsc emits them to dist/lib by `npm run build`).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const lib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'lib');

/** @param {string} module e.g. 'runtime/cli/parse' */
export function load(module) {
  return require(path.join(lib, `${module}.js`));
}
