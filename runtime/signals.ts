import { SIGNALS } from '../native/linux-constants';
import { RuntimeError } from './errors';

/** Parses a signal given as a number, a name (TERM) or a SIG-name (SIGTERM), like runc. */
export function parseSignal(text: string): number {
  const upper = text.toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = SIGNALS[name];
    if (n !== undefined) return n;
    // Real-time signals: SIGRTMIN(+N) counts up from 34, SIGRTMAX(-N) down from 64.
    const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
    if (rt && (rt[2] === undefined || rt[2] === (rt[1] === 'MIN' ? '+' : '-'))) {
      const offset = Number(rt[3] ?? 0);
      const n2 = rt[1] === 'MIN' ? 34 + offset : 64 - offset;
      if (n2 >= 34 && n2 <= 64) return n2;
    }
  }
  throw new RuntimeError(`invalid signal "${text}": give a number, a name like TERM, or SIGTERM`);
}
