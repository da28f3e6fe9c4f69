// `mydocker history IMAGE`: the config's history, newest first, with each layer's stored size.
import { createdSince, goTimeString, humanSize, parseCreated } from './human';
import { shortId } from './naming';
import type { ImageStore } from './store';
import type { ImageConfig } from './types';

export interface HistoryRow {
  Comment: string;
  CreatedAt: string;
  CreatedBy: string;
  CreatedSince: string;
  ID: string;
  Size: string;
}

export function imageHistory(store: ImageStore, name: string, options: { noTrunc?: boolean; now?: number } = {}): HistoryRow[] {
  const image = store.resolve(name);
  const layers = image.manifest.layers;
  // an image without history: one entry per layer
  const history: NonNullable<ImageConfig['history']> = image.config.history?.length ? image.config.history : layers.map(() => ({ created: image.config.created }));
  let layer = 0;
  const rows = history.map((entry) => {
    const when = parseCreated(entry.created);
    const size = entry.empty_layer ? 0 : (layers[layer++]?.size ?? 0);
    const createdBy = entry.created_by ?? '';
    return {
      Comment: entry.comment ?? '',
      CreatedAt: goTimeString(when),
      CreatedBy: options.noTrunc || createdBy.length <= 45 ? createdBy : `${createdBy.slice(0, 44)}…`,
      CreatedSince: createdSince(when, options.now),
      ID: '<missing>',
      Size: humanSize(size),
    };
  });
  rows.reverse();
  if (rows[0]) rows[0].ID = options.noTrunc ? image.configDigest : shortId(image.configDigest);
  return rows;
}
