// koffi, loaded the fast way: the build records where koffi's native addon lives (relative to
// dist/), and the bundled programs require it directly. Going through the package costs about
// 10 ms of module resolution per start (it probes a platform package first); the addon exports
// the same API minus deprecated aliases. Anything else (tests on dist/lib) uses the package.
import path = require('node:path');

type Koffi = typeof import('koffi');
declare const __KOFFI_ADDON__: string | undefined;

function loadKoffi(): Koffi {
  if (typeof __KOFFI_ADDON__ === 'string') {
    try {
      // process.dlopen, not require: the path is known, and require's resolution (stat, realpath
      // of every component, the module cache) cost about 1 ms more
      const addon = { exports: {} as Koffi };
      process.dlopen(addon, path.join(__dirname, __KOFFI_ADDON__));
      return addon.exports;
    } catch {
      /* moved or rebuilt: fall back to the package */
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('koffi') as Koffi;
}

const koffi: Koffi = loadKoffi();
export = koffi;
