// The registry commands: pull, login, logout (filled in by the registry work).
import type { ManagerCommand } from './command';

export const REGISTRY_COMMANDS: ManagerCommand[] = [];
