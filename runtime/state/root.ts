// The runtime's default state directory, apart from the store so that reading the command
// table (the manager does, for its parser) does not load libc.
export const DEFAULT_ROOT = '/run/mydocker-runtime';
