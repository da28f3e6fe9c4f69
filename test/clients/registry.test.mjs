// Self-test of test/clients/lib/registry.mjs: a real docker-registry on 127.0.0.1 and the busybox image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { pushBusybox, startRegistry } from './lib/registry.mjs';

const execFileP = promisify(execFile);
let registry;

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});

test('the registry listens on 127.0.0.1 and answers /v2/', async () => {
  assert.equal(registry.host, `127.0.0.1:${registry.port}`);
  const res = await fetch(`http://${registry.host}/v2/`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
});

for (const format of ['oci', 'v2s2']) {
  test(`pushBusybox (${format}) makes an image skopeo inspect sees`, async () => {
    const ref = await pushBusybox(registry, `busybox-${format}`, 'latest', { format });
    assert.equal(ref, `${registry.host}/busybox-${format}:latest`);
    const { stdout } = await execFileP('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]);
    const info = JSON.parse(stdout);
    assert.equal(info.Architecture, { x64: 'amd64', arm64: 'arm64', ia32: '386' }[process.arch] ?? process.arch);
    assert.equal(info.Os, 'linux');
    assert.equal(info.Layers.length, 1);
    const { stdout: cfgOut } = await execFileP('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${ref}`]);
    const cfg = JSON.parse(cfgOut);
    assert.deepEqual(cfg.config.Cmd, ['sh']);
    assert.ok(cfg.config.Env.some((e) => e.startsWith('PATH=') && e.includes('/bin')));
    const { stdout: raw } = await execFileP('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
    const manifest = JSON.parse(raw);
    assert.equal(
      manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      format === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json',
    );
  });
}

test('the default reference is 127.0.0.1:PORT/busybox:latest', async () => {
  const ref = await pushBusybox(registry);
  assert.equal(ref, `127.0.0.1:${registry.port}/busybox:latest`);
  const res = await fetch(`http://${registry.host}/v2/busybox/tags/list`);
  assert.deepEqual((await res.json()).tags, ['latest']);
});

test('stop() kills the registry and removes its directory', async () => {
  const r = await startRegistry();
  await r.stop();
  assert.equal(fs.existsSync(r.dir), false);
  assert.throws(() => process.kill(r.pid, 0), { code: 'ESRCH' });
  await assert.rejects(fetch(`http://${r.host}/v2/`));
});
