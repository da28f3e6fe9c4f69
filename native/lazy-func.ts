// A C function bound on its first call. koffi parses a prototype when it is declared (about
// 18 µs each); the runtime declares some eighty and a command calls a few of them.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CFunction = (...args: any[]) => any;

export function lazyFunc(lib: { func(definition: string): CFunction }, definition: string): CFunction {
  let bound: CFunction | undefined;
  return (...args) => (bound ??= lib.func(definition))(...args);
}
