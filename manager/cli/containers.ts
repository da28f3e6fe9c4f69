// The containers commands (filled in by the containers work).
import type { ManagerCommand } from './command';

export const CONTAINERS_COMMANDS: ManagerCommand[] = [];
