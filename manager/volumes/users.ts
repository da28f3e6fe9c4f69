// Which container uses a volume (volume rm refuses then).
import type { ManagerPaths } from '../paths';
import { volumeUser } from '../run/usage';

export function volumeUsers(paths: ManagerPaths): (volume: string) => string | undefined {
  return volumeUser(paths);
}
