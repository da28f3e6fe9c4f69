import fs from 'node:fs';
import { startRegistry } from './test/clients/lib/registry.mjs';
import { pushBenchImages } from './bench/lib/bench-images.mjs';
const reg = await startRegistry();
const work = fs.mkdtempSync('/tmp/benchimg-');
const imgs = await pushBenchImages(reg, work, { sizeMb: 50 });
console.log(JSON.stringify({ busybox: imgs.busybox.ref, big: imgs.big.ref, pid: process.pid, work }));
process.on('SIGTERM', async () => { await reg.stop(); fs.rmSync(work, { recursive: true, force: true }); process.exit(0); });
setInterval(() => {}, 1 << 30);
