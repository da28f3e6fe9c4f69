// Pull output as docker prints it. On a terminal: one line per layer, rewritten in place
// ("0123456789ab: Downloading  [=====>      ]  1.2MB/5MB", "Pull complete"); otherwise (a pipe,
// a log) one line per layer when something final happens ("0123456789ab: Pull complete").
// The header and trailer lines ("latest: Pulling from library/busybox", "Digest: ...",
// "Status: ...") are the same for both.

export interface LayerLine {
  /** a status with an optional byte progress (Downloading, Verifying Checksum, Pull complete, ...) */
  update(status: string, current?: number, total?: number): void;
  /** a status worth a line of its own without a terminal too */
  final(status: string): void;
}

export interface PullDisplay {
  line(text: string): void;
  layer(id: string): LayerLine;
  /** the last render on a terminal; nothing more is drawn after it */
  close(): void;
}

/** docker's HumanSize: decimal units, 3 significant digits (1.23MB, 456kB, 789B). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toPrecision(3))}${units[unit]}`;
}

const BAR_WIDTH = 50;

export function progressBar(current: number, total: number): string {
  if (total <= 0) return '';
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH)));
  const body = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(Math.max(0, filled - 1))}>${' '.repeat(BAR_WIDTH - Math.max(filled, 1))}`;
  return `[${body}]  ${humanSize(current)}/${humanSize(total)}`;
}

/** No output at all (--quiet). */
export function silentDisplay(): PullDisplay {
  const layer: LayerLine = { update() {}, final() {} };
  return { line() {}, layer: () => layer, close() {} };
}

/** One line per final layer status. */
export function plainDisplay(write: (text: string) => void): PullDisplay {
  return {
    line: (text) => write(`${text}\n`),
    layer: (id) => ({
      update() {},
      final: (status) => write(`${id}: ${status}\n`),
    }),
    close() {},
  };
}

/** Layer lines redrawn in place with ANSI cursor movement, at most every `intervalMs` for byte progress. */
export function terminalDisplay(write: (text: string) => void, intervalMs = 100): PullDisplay {
  const rows: Array<{ id: string; text: string }> = [];
  let drawn = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const render = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const row of rows) out += `\x1b[2K\r${row.id}: ${row.text}\n`;
    drawn = rows.length;
    write(out);
  };
  const schedule = (): void => {
    if (!timer && !closed) timer = setTimeout(render, intervalMs);
  };
  return {
    line(text) {
      // lines come before or after the layer rows, never between redraws
      if (timer) render();
      write(`${text}\n`);
      // the rows drawn so far are above this line now: they stay as they are
      drawn = 0;
      rows.length = 0;
    },
    layer(id) {
      const row = { id, text: 'Pulling fs layer' };
      rows.push(row);
      schedule();
      return {
        update(status, current, total) {
          row.text = current !== undefined && total !== undefined ? `${status.padEnd(12)} ${progressBar(current, total)}` : status;
          if (current === undefined) render();
          else schedule();
        },
        final(status) {
          row.text = status;
          if (!closed) render();
        },
      };
    },
    close() {
      if (!closed && (timer || drawn !== rows.length)) render();
      closed = true;
    },
  };
}
