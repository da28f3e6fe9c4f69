// node:child_process on first use. It is not in Node's start-up snapshot: loading it (with
// node:net and node:stream) costs about 8 ms, which `run --network none` never needs.
export function childProcess(): typeof import('node:child_process') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:child_process') as typeof import('node:child_process');
}
