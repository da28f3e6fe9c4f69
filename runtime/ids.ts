import { RuntimeError } from './errors';

const ID_PATTERN = /^[A-Za-z0-9_+.-]+$/;

/** Container ids as runc accepts them; "." and ".." would name the state root itself. */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw new RuntimeError('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new RuntimeError(`invalid container id "${id}": must match [A-Za-z0-9_+.-]+ and not be "." or ".."`);
  }
  return id;
}
