// How docker prints sizes and times in its tables: sizes in 1000-based units with 3 significant
// digits ("4.26MB"), ages as an approximate duration ("2 weeks ago"), instants as Go's
// time.String in UTC ("2024-05-01 10:20:30 +0000 UTC").

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** 4261234 -> "4.26MB", 999 -> "999B" (docker's units.HumanSizeWithPrecision(size, 3)). */
export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < SIZE_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  // %.3g: three significant digits, no trailing zeros
  return `${Number(size.toPrecision(3))}${SIZE_UNITS[unit]}`;
}

/** An approximate duration as docker words it ("About an hour", "3 days", "2 weeks"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** The time of an RFC 3339 timestamp, or undefined when it is missing, unparsable or Go's zero time. */
export function parseCreated(created: string | undefined): Date | undefined {
  if (created === undefined) return undefined;
  const time = Date.parse(created);
  if (!Number.isFinite(time) || time <= Date.UTC(1, 0, 1)) return undefined;
  return new Date(time);
}

/** RFC 3339 as Go writes times in JSON: no fraction when it is zero ("2024-05-01T10:20:30Z"). */
export function rfc3339(time: Date): string {
  return time.toISOString().replace(/\.000Z$/, 'Z');
}

/** "2 weeks ago"; "N/A" without a time. */
export function createdSince(created: Date | undefined, now: number = Date.now()): string {
  return created === undefined ? 'N/A' : `${humanDuration(now - created.getTime())} ago`;
}

/** "2024-05-01 10:20:30 +0000 UTC" (Go's time.Time.String() of a UTC time); "N/A" without a time. */
export function goTimeString(created: Date | undefined): string {
  if (created === undefined) return 'N/A';
  return `${created.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}
