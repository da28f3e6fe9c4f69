// Which container uses a volume: filled in when the container store exists.
import type { ManagerPaths } from '../paths';

export function volumeUsers(_paths: ManagerPaths): (volume: string) => string | undefined {
  return () => undefined;
}
