// Where the client-generated configs are: shared/ beside the repository (as CI lays it out),
// or CLIENT_CONFIGS.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const candidates = [process.env.CLIENT_CONFIGS, path.join(repo, '..', 'shared', 'fixtures', 'client-configs'), '/work/shared/fixtures/client-configs'];

/** The directory holding the docker/podman/containerd config.json and process.json fixtures. */
export const CLIENT_CONFIGS = candidates.find((dir) => dir && fs.existsSync(dir)) ?? candidates[1];
