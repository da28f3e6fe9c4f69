// The esbuild options of a program bundle: build.mjs makes dist/<program>.bundle.js with them,
// and bench/pull.mjs its download-only program, so that both start the same way.
export function bundleOptions({ entry, outfile, define = {} }) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    // short local names: 25 % less to read and hold at every start (about 2 ms of `run`); stack
    // traces of the bundles are terse (errors carry their own messages; dist/lib is the readable build)
    minifyIdentifiers: true,
    minifyWhitespace: true,
    // escaped non-ASCII: the launcher reads the bundle as latin1 (a one-byte string, no UTF-8 decoding)
    charset: 'ascii',
    // the launcher compiles the bundle as one function of the CommonJS module arguments
    banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
    footer: { js: '\n})' },
    // koffi is a native addon; pino (a log line) and yargs (--help) are loaded only when needed.
    external: ['koffi', 'pino', 'yargs', 'yargs/yargs'],
    define,
    logLevel: 'warning',
  };
}
