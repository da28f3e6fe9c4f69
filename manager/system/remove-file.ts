import fs = require('node:fs');

/**
 * Removes one file; a missing one is not an error. Not fs.rmSync: it loads Node's rimraf module
 * at its first call (about 2 ms of a pull, which removes each blob's ingest lock this way).
 */
export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
