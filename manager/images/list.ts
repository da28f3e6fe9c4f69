// `mydocker images`: one row per repository:tag of every image, newest first, with the fields
// docker's `--format '{{json .}}'` has. SIZE is what the store holds for the image: the config
// plus the layers as stored (compressed when they were pulled compressed), not docker's
// unpacked size.
import { UsageError } from '../errors';
import { createdSince, goTimeString, humanSize, parseCreated } from './human';
import { parseStoredName, shortId } from './naming';
import { familiarRepository, parseReference } from './reference';
import type { ImageRecord, ImageStore } from './store';

export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

export interface ListOptions {
  /** REPOSITORY[:TAG]: only rows of that repository (and tag) */
  reference?: string;
  /** --filter key=value: dangling=true|false, reference=PATTERN (* matches within a path component) */
  filters?: string[];
  /** full sha256:... ids */
  noTrunc?: boolean;
  now?: number;
}

interface RowSource {
  image: ImageRecord;
  repository: string;
  tag: string;
}

/** (repository, tag) pairs of an image: tags first; a repository named only by digest gets <none>. */
function namesOf(image: ImageRecord): Array<{ repository: string; tag: string }> {
  const tagsByRepository = new Map<string, string[]>();
  for (const name of image.names) {
    const ref = parseStoredName(name);
    if (!ref) continue;
    const repository = familiarRepository(ref);
    const tags = tagsByRepository.get(repository) ?? [];
    if (ref.tag !== undefined) tags.push(ref.tag);
    tagsByRepository.set(repository, tags);
  }
  if (tagsByRepository.size === 0) return [{ repository: '<none>', tag: '<none>' }];
  const out: Array<{ repository: string; tag: string }> = [];
  for (const [repository, tags] of [...tagsByRepository].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (tags.length === 0) out.push({ repository, tag: '<none>' });
    for (const tag of [...new Set(tags)].sort()) out.push({ repository, tag });
  }
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

function rowFilter(options: ListOptions): (row: RowSource) => boolean {
  const tests: Array<(row: RowSource) => boolean> = [];
  if (options.reference !== undefined) {
    const ref = parseReference(options.reference);
    const hasTag = /:[^/]*$/.test(options.reference.split('@')[0]!);
    const repository = familiarRepository(ref);
    tests.push((row) => row.repository === repository && (!hasTag || row.tag === ref.tag));
  }
  for (const filter of options.filters ?? []) {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    const value = eq < 0 ? '' : filter.slice(eq + 1);
    if (key === 'dangling' && (value === 'true' || value === 'false')) {
      tests.push((row) => (row.image.names.length === 0) === (value === 'true'));
    } else if (key === 'reference' && value !== '') {
      const re = globToRegExp(value);
      tests.push((row) => re.test(row.repository) || re.test(`${row.repository}:${row.tag}`));
    } else {
      throw new UsageError(`--filter "${filter}": supported filters are dangling=true|false and reference=PATTERN`);
    }
  }
  return (row) => tests.every((t) => t(row));
}

/** The rows of `mydocker images`, newest image first. */
export function imageRows(images: ImageRecord[], options: ListOptions = {}): ImageRow[] {
  const now = options.now ?? Date.now();
  const keep = rowFilter(options);
  const created = new Map(images.map((i) => [i, parseCreated(i.config.created)]));
  const sorted = [...images].sort((a, b) => (created.get(b)?.getTime() ?? 0) - (created.get(a)?.getTime() ?? 0));
  const rows: ImageRow[] = [];
  for (const image of sorted) {
    const when = created.get(image);
    for (const { repository, tag } of namesOf(image)) {
      if (!keep({ image, repository, tag })) continue;
      const size = humanSize(image.size);
      rows.push({
        Containers: 'N/A',
        CreatedAt: goTimeString(when),
        CreatedSince: createdSince(when, now),
        Digest: image.manifestDigest,
        ID: options.noTrunc ? image.configDigest : shortId(image.configDigest),
        Repository: repository,
        SharedSize: 'N/A',
        Size: size,
        Tag: tag,
        UniqueSize: 'N/A',
        VirtualSize: size,
      });
    }
  }
  return rows;
}

export function listImages(store: ImageStore, options: ListOptions = {}): ImageRow[] {
  return imageRows(store.list(), options);
}

/** `images -q`: each image id once, in row order. */
export function quietIds(rows: ImageRow[]): string[] {
  return [...new Set(rows.map((r) => r.ID))];
}
