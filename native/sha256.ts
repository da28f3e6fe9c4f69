// SHA-256 through the OpenSSL that is already in the node process, bound with koffi.
//
// Why not node:crypto: loading it costs ~11 ms of every start that hashes anything (its
// modules, streams and webcrypto set-up), a tenth of a whole `mydocker pull` of busybox here.
// Node links OpenSSL into its binary and exports its symbols (for native addons), so the
// process's own global scope has SHA256_*: same code, same speed (16 MB: 10.5 ms either way),
// nothing more to load. The low-level SHA256_* functions keep their state in a struct the
// caller owns: a Buffer here, so there is no native memory to free when a hash is abandoned.
// Where the symbols are missing (a node built without OpenSSL), node:crypto does the work.
import koffi = require('./koffi');
import { lazyFunc } from './lazy-func';

export interface Sha256 {
  update(data: Uint8Array | string): Sha256;
  /** The digest in lowercase hex; the hash is finished after it. */
  hex(): string;
}

/** sizeof(SHA256_CTX) is 112 in OpenSSL 1.1 and 3.x; room to spare. */
const CTX_SIZE = 128;

interface OpenSslSha256 {
  init(ctx: Buffer): number;
  update(ctx: Buffer, data: Uint8Array, length: number): number;
  final(md: Buffer, ctx: Buffer): number;
}

let openssl: OpenSslSha256 | null | undefined;

function opensslSha256(): OpenSslSha256 | null {
  if (openssl !== undefined) return openssl;
  try {
    const self = koffi.load(null as unknown as string); // dlopen(NULL): the process's global symbols
    const init = self.func('int SHA256_Init(void *ctx)');
    openssl = {
      init,
      update: lazyFunc(self, 'int SHA256_Update(void *ctx, const void *data, size_t len)'),
      final: lazyFunc(self, 'int SHA256_Final(void *md, void *ctx)'),
    };
  } catch {
    openssl = null;
  }
  return openssl;
}

class OpenSslHash implements Sha256 {
  private readonly ctx = Buffer.alloc(CTX_SIZE);

  constructor(private readonly lib: OpenSslSha256) {
    if (lib.init(this.ctx) !== 1) throw new Error('SHA256_Init failed');
  }

  update(data: Uint8Array | string): Sha256 {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length > 0 && this.lib.update(this.ctx, bytes, bytes.length) !== 1) throw new Error('SHA256_Update failed');
    return this;
  }

  hex(): string {
    const md = Buffer.alloc(32);
    if (this.lib.final(md, this.ctx) !== 1) throw new Error('SHA256_Final failed');
    return md.toString('hex');
  }
}

class NodeCryptoHash implements Sha256 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  private readonly hash = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');

  update(data: Uint8Array | string): Sha256 {
    this.hash.update(data);
    return this;
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

export function createSha256(): Sha256 {
  const lib = opensslSha256();
  return lib ? new OpenSslHash(lib) : new NodeCryptoHash();
}

/** Which implementation createSha256 uses (for tests and `--debug`). */
export function sha256Backend(): 'openssl' | 'node:crypto' {
  return opensslSha256() ? 'openssl' : 'node:crypto';
}

export function sha256Hex(data: Uint8Array | string): string {
  return createSha256().update(data).hex();
}
