// The volumes commands (filled in by the volumes work).
import type { ManagerCommand } from './command';

export const VOLUMES_COMMANDS: ManagerCommand[] = [];
