// RFC 3339 timestamps in UTC (state.json's "created", log lines), without Date#toISOString:
// its first call loads the local time zone (/etc/localtime and ICU's zone rules, 0.2 ms of
// every create) although its result is UTC. The UTC getters need no zone.

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `ms` since the epoch as YYYY-MM-DDTHH:MM:SS.mmmZ, what toISOString gives for years 0-9999. */
export function rfc3339(ms: number = Date.now()): string {
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${date}T${time}Z`;
}
