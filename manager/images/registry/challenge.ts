// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"
// Several challenges may share one header; we keep each with its parameters.

export interface Challenge {
  /** lower-case: basic, bearer */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseChallenges(header: string | null): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let rest = header.trim();
  let current: Challenge | undefined;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '');
    const name = TOKEN.exec(rest)?.[0];
    if (!name) break;
    const after = rest.slice(name.length).replace(/^\s*/, '');
    if (after.startsWith('=') && current) {
      // a parameter of the current challenge: name=token or name="quoted"
      let value: string;
      let body = after.slice(1).replace(/^\s*/, '');
      if (body.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < body.length && body[i] !== '"') {
          if (body[i] === '\\' && i + 1 < body.length) i++;
          value += body[i];
          i++;
        }
        body = body.slice(i + 1);
      } else {
        value = TOKEN.exec(body)?.[0] ?? '';
        body = body.slice(value.length);
      }
      current.params[name.toLowerCase()] = value;
      rest = body;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      rest = after;
    }
  }
  return out;
}
