// The image commands: images, rmi, tag, inspect, import, save, load, history, and the same
// under `image` (image ls/rm/tag/inspect/import/save/load/history/prune), as docker has them.
// The operations live in manager/images/ and are loaded when a command runs.
import fs = require('node:fs');
import type { Context } from '../context';
import { exitCodeOf, ManagerError, NotFoundError, UsageError } from '../errors';
import type { RemoveOptions } from '../images/remove';
import { type ManagerCommand, type OptionSpec, str } from './command';
import { operandsWithOptions } from './operands';
import { isTerminal } from '../system/terminal';

/**
 * What rmi and image prune need from the rest of the manager: which container uses an image
 * (the container store) and removing unpacked layers no image needs (the layer store's
 * removeUnusedLayers). Wired in where those stores are.
 */
/** rmi and prune keep what containers use: their images (unless -f) and their overlay layers. */
async function removeHooks(ctx: Context): Promise<Pick<RemoveOptions, 'inUse' | 'cleanupLayers'>> {
  const { imageUser, layersInUse } = await import('../run/usage');
  const { removeUnusedLayers } = await import('../images/layers/store');
  return {
    inUse: imageUser(ctx.paths),
    cleanupLayers: (keep) => removeUnusedLayers(ctx.paths, new Set([...keep, ...layersInUse(ctx.paths)])),
  };
}

async function openStore(ctx: Context) {
  const { ImageStore } = await import('../images/store');
  return new ImageStore(ctx.paths);
}

/** The container's inspect document, or undefined when no container has that name or id. */
async function inspectContainerView(ctx: Context, ref: string): Promise<unknown> {
  const { inspectContainer } = await import('../containers/lifecycle');
  const { inspectView } = await import('../containers/inspect');
  const { lifecycleOptions } = await import('../run/hooks');
  try {
    return inspectView(await inspectContainer(ctx, ref, lifecycleOptions(ctx)));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

const FORMAT: OptionSpec = { name: 'format', type: 'string', describe: 'table (default), json (one object per line), or a template: {{.Repository}}:{{.Tag}}, {{json .}}' };

const IMAGES: ManagerCommand = {
  name: 'images',
  describe: 'list images (SIZE is the config plus the layers as stored, compressed where they were pulled compressed)',
  positionals: [{ name: 'reference', required: false, describe: 'only images of this REPOSITORY[:TAG]' }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', default: false, describe: 'show all images (there are no intermediate images: the same list)' },
    { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'only the image ids, each once' },
    { name: 'digests', type: 'boolean', default: false, describe: 'show the manifest digests' },
    { name: 'no-trunc', type: 'boolean', default: false, describe: 'full image ids' },
    { name: 'filter', alias: 'f', type: 'string', multiple: true, describe: 'dangling=true|false, reference=PATTERN' },
    FORMAT,
  ],
  async run(args, ctx) {
    const { values } = args;
    const { listImages, quietIds } = await import('../images/list');
    const rows = listImages(await openStore(ctx), {
      ...(values.reference !== undefined ? { reference: String(values.reference) } : {}),
      filters: args.lists.filter ?? [],
      noTrunc: Boolean(values['no-trunc']),
    });
    if (values.quiet) {
      ctx.out(quietIds(rows).map((id) => `${id}\n`).join(''));
      return 0;
    }
    const { formatRows } = await import('./format');
    const columns: Array<[keyof (typeof rows)[number], string]> = [
      ['Repository', 'REPOSITORY'],
      ['Tag', 'TAG'],
      ...(values.digests ? [['Digest', 'DIGEST'] as [keyof (typeof rows)[number], string]] : []),
      ['ID', 'IMAGE ID'],
      ['CreatedSince', 'CREATED'],
      ['Size', 'SIZE'],
    ];
    const headers = { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE' };
    ctx.out(formatRows(rows, str(values, 'format'), columns, headers));
    return 0;
  },
};

const RMI: ManagerCommand = {
  name: 'rmi',
  describe: 'remove images by name or id; what no image needs any more is deleted',
  positionals: [{ name: 'images', required: true, variadic: true, describe: 'names or ids' }],
  options: [
    { name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'remove an id with names in several repositories, or an image a container uses (it stays nameless)' },
    { name: 'no-prune', type: 'boolean', default: false, describe: 'accepted for docker compatibility' },
  ],
  async run(args, ctx) {
    const names = operandsWithOptions(args, 'images', 'rmi', RMI.options);
    if (names.length === 0) throw new UsageError('rmi: give at least one image');
    const { removeImages } = await import('../images/remove');
    const outcomes = await removeImages(await openStore(ctx), names, { force: Boolean(args.values.force), ...(await removeHooks(ctx)) });
    let status = 0;
    for (const o of outcomes) {
      ctx.out(o.untagged.map((n) => `Untagged: ${n}\n`).join('') + o.deleted.map((d) => `Deleted: ${d}\n`).join(''));
      if (o.error) {
        ctx.err(`mydocker: ${o.error.message}\n`);
        status ||= exitCodeOf(o.error);
      }
    }
    return status;
  },
};

const TAG: ManagerCommand = {
  name: 'tag',
  describe: 'give an image another name',
  positionals: [
    { name: 'source', required: true, describe: 'SOURCE_IMAGE[:TAG] or id' },
    { name: 'target', required: true, describe: 'TARGET_IMAGE[:TAG]' },
  ],
  options: [],
  async run({ values }, ctx) {
    const { tagImage } = await import('../images/tag');
    tagImage(await openStore(ctx), String(values.source), String(values.target));
    return 0;
  },
};

const INSPECT: ManagerCommand = {
  name: 'inspect',
  describe: 'show containers or images as JSON documents',
  positionals: [{ name: 'names', required: true, variadic: true, describe: 'image names or ids' }],
  options: [
    { name: 'format', alias: 'f', type: 'string', describe: 'a template for each document: {{.Id}}, {{json .Config}}' },
    { name: 'type', type: 'string', choices: ['container', 'image'], describe: 'only this kind of object' },
  ],
  async run(args, ctx) {
    const names = operandsWithOptions(args, 'names', 'inspect', INSPECT.options);
    if (names.length === 0) throw new UsageError('inspect: give at least one container or image');
    const { inspectImages } = await import('../images/inspect');
    const store = await openStore(ctx);
    const docs: unknown[] = [];
    const errors: Error[] = [];
    const type = str(args.values, 'type');
    for (const name of names) {
      try {
        // docker inspect: a container of that name or id first, then an image
        const container = type === 'image' ? undefined : await inspectContainerView(ctx, name);
        if (container !== undefined) docs.push(container);
        else if (type === 'container') throw new NotFoundError('container', name);
        else docs.push(...inspectImages(store, [name]));
      } catch (err) {
        if (!(err instanceof ManagerError)) throw err;
        errors.push(err);
      }
    }
    const format = str(args.values, 'format');
    if (format === undefined || format === 'json') ctx.out(`${JSON.stringify(docs, null, 4)}\n`);
    else ctx.out((await import('./format')).formatDocuments(docs, format));
    for (const e of errors) ctx.err(`mydocker: ${e.message}\n`);
    return errors.length > 0 ? 1 : 0;
  },
};

const IMPORT: ManagerCommand = {
  name: 'import',
  describe: 'make a one-layer image from a root filesystem tarball (plain or gzip; - reads stdin)',
  positionals: [
    { name: 'file', required: true, describe: 'the tarball, or - for stdin' },
    { name: 'reference', required: false, describe: 'REPOSITORY[:TAG] to name the image' },
  ],
  options: [
    { name: 'change', alias: 'c', type: 'string', multiple: true, describe: 'a Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR' },
    { name: 'message', alias: 'm', type: 'string', describe: 'the history comment' },
  ],
  async run(args, ctx) {
    const { values } = args;
    const file = String(values.file);
    const { importRootfs } = await import('../images/import');
    const source = file === '-' ? stdinStream('import') : file;
    const { image } = await importRootfs(ctx.paths, source, {
      ...(values.reference !== undefined ? { reference: String(values.reference) } : {}),
      changes: args.lists.change ?? [],
      ...(values.message !== undefined ? { message: String(values.message) } : {}),
      sourceLabel: file,
    });
    ctx.out(`${image.configDigest}\n`);
    return 0;
  },
};

function stdinStream(command: string): fs.ReadStream {
  if (isTerminal(0)) throw new UsageError(`${command}: stdin is a terminal: give a file or redirect the input`);
  return fs.createReadStream('', { fd: 0, autoClose: false, highWaterMark: 1 << 20 });
}

const SAVE: ManagerCommand = {
  name: 'save',
  describe: 'write images to a tarball: docker-archive (docker load reads it) or oci-archive',
  positionals: [{ name: 'images', required: true, variadic: true, describe: 'names or ids' }],
  options: [
    { name: 'output', alias: 'o', type: 'string', describe: 'the file to write (default: stdout)' },
    { name: 'format', type: 'string', default: 'docker-archive', choices: ['docker-archive', 'oci-archive'], describe: 'the archive format' },
  ],
  async run(args, ctx) {
    const names = operandsWithOptions(args, 'images', 'save', SAVE.options);
    const format = String(args.values.format) as 'docker-archive' | 'oci-archive';
    const { saveImages, saveImagesToFile } = await import('../images/archive-save');
    const store = await openStore(ctx);
    const output = str(args.values, 'output');
    if (output !== undefined) {
      await saveImagesToFile(store, names, output, format);
      return 0;
    }
    if (isTerminal(1)) throw new UsageError('save: refusing to write an archive to a terminal: give -o FILE or redirect the output');
    await saveImages(store, names, fs.createWriteStream('', { fd: 1, autoClose: false }), format);
    return 0;
  },
};

const LOAD: ManagerCommand = {
  name: 'load',
  describe: 'load images from a docker-archive or OCI archive tarball (plain or gzip)',
  positionals: [],
  options: [
    { name: 'input', alias: 'i', type: 'string', describe: 'the tarball (default: stdin)' },
    { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'print nothing' },
  ],
  async run({ values }, ctx) {
    const { loadArchive } = await import('../images/archive-load');
    const input = str(values, 'input') ?? (stdinStream('load'));
    const loaded = await loadArchive(ctx.paths, input);
    if (values.quiet) return 0;
    const { familiarName } = await import('../images/reference');
    const { parseStoredName } = await import('../images/naming');
    for (const image of loaded) {
      if (image.names.length === 0) ctx.out(`Loaded image ID: ${image.id}\n`);
      for (const name of image.names) ctx.out(`Loaded image: ${familiarName(parseStoredName(name)!)}\n`);
    }
    return 0;
  },
};

const HISTORY: ManagerCommand = {
  name: 'history',
  describe: "show an image's history, newest first",
  positionals: [{ name: 'image', required: true, describe: 'name or id' }],
  options: [
    { name: 'no-trunc', type: 'boolean', default: false, describe: 'do not shorten ids and commands' },
    { name: 'quiet', alias: 'q', type: 'boolean', default: false, describe: 'only the image id' },
    FORMAT,
  ],
  async run({ values }, ctx) {
    const { imageHistory } = await import('../images/history');
    const rows = imageHistory(await openStore(ctx), String(values.image), { noTrunc: Boolean(values['no-trunc']) });
    if (values.quiet) {
      ctx.out(rows.map((r) => `${r.ID}\n`).join(''));
      return 0;
    }
    const { formatRows } = await import('./format');
    const headers = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
    ctx.out(
      formatRows(
        rows,
        str(values, 'format'),
        [
          ['ID', 'IMAGE'],
          ['CreatedSince', 'CREATED'],
          ['CreatedBy', 'CREATED BY'],
          ['Size', 'SIZE'],
          ['Comment', 'COMMENT'],
        ],
        headers,
      ),
    );
    return 0;
  },
};

const PRUNE: ManagerCommand = {
  name: 'prune',
  describe: 'remove the nameless images no container uses',
  positionals: [],
  options: [
    { name: 'force', alias: 'f', type: 'boolean', default: false, describe: 'do not ask (mydocker never asks)' },
    { name: 'all', alias: 'a', type: 'boolean', default: false, describe: 'not supported: only nameless images are pruned' },
  ],
  async run({ values }, ctx) {
    if (values.all) throw new UsageError('image prune --all is not supported: remove named images with rmi');
    const { pruneImages } = await import('../images/remove');
    const { humanSize } = await import('../images/human');
    const { deleted, reclaimed } = await pruneImages(await openStore(ctx), await removeHooks(ctx));
    if (deleted.length > 0) ctx.out(`Deleted Images:\n${deleted.map((d) => `deleted: ${d}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

/** docker's management-command names: `image ls` is the command named "image ls" (see cli/main.ts). */
const IMAGE_SUBCOMMANDS: ManagerCommand[] = [
  { ...IMAGES, name: 'ls', aliases: ['list'] },
  { ...RMI, name: 'rm', aliases: ['remove'] },
  TAG,
  INSPECT,
  IMPORT,
  SAVE,
  LOAD,
  HISTORY,
  PRUNE,
].map((c) => ({ ...c, name: `image ${c.name}`, ...(c.aliases ? { aliases: c.aliases.map((a) => `image ${a}`) } : {}) }));

export const IMAGES_COMMANDS: ManagerCommand[] = [IMAGES, RMI, TAG, INSPECT, IMPORT, SAVE, LOAD, HISTORY, ...IMAGE_SUBCOMMANDS];
