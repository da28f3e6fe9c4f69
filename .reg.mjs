import { startRegistry, pushBusybox } from './test/clients/lib/registry.mjs';
const reg = await startRegistry();
const ref = await pushBusybox(reg);
console.log(JSON.stringify({ ref, pid: process.pid }));
process.on('SIGTERM', async () => { await reg.stop?.(); process.exit(0); });
setInterval(() => {}, 1 << 30);
