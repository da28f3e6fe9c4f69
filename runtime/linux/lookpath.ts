// Finds the program to run the way execvp would, with the container's PATH, inside the
// container's root (the caller has already pivoted into it). Errors use the words podman
// maps to exit codes: "executable file not found in $PATH" and "no such file or directory"
// (127), "permission denied" (126).
import fs = require('node:fs');
import path = require('node:path');
import { RuntimeError } from '../errors';

function isExecutableFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

export function lookPath(program: string, env: readonly string[], cwd: string): string {
  if (program.includes('/')) {
    const file = path.resolve(cwd, program);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new RuntimeError(`exec: "${program}": stat ${program}: no such file or directory`);
    }
    if (stat.isDirectory()) throw new RuntimeError(`exec: "${program}": is a directory: permission denied`);
    if ((stat.mode & 0o111) === 0) throw new RuntimeError(`exec: "${program}": permission denied`);
    return file;
  }
  const pathVar = env.findLast((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  for (const dir of pathVar.split(':')) {
    const candidate = path.resolve(cwd, dir === '' ? '.' : dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new RuntimeError(`exec: "${program}": executable file not found in $PATH`);
}
