// The images commands (filled in by the images work).
import type { ManagerCommand } from './command';

export const IMAGES_COMMANDS: ManagerCommand[] = [];
