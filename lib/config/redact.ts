// Credentials never leave Tandem as text: not in errors, log lines, dead-letter headers, describe()
// or `ps`. This module is the one place that decides what a secret in a URL looks like: its
// password, and query parameters named like one (mysql2 reads `?password=` from a URI).

const MASK = '***';
const SECRET_PARAM = /pass|pwd|secret|token/i;
/** `scheme://userinfo@` inside free text; the userinfo runs to the token's last `@` (a password may hold one). */
const USERINFO_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)\S*@/gi;
/** `?password=...` / `&token=...` inside free text. */
const SECRET_PARAM_IN_TEXT = /([?&][^=&\s]*(?:pass|pwd|secret|token)[^=&\s]*=)[^&\s"']*/gi;

/** The URL when it parses as `scheme://host...`; an opaque `mysql:u:pw@h` has no host and is not one. */
function withAuthority(url: string): URL | undefined {
  try {
    const u = new URL(url);
    return u.host ? u : undefined;
  } catch {
    return undefined;
  }
}

function secretParams(u: URL): string[] {
  return [...new Set(u.searchParams.keys())].filter((k) => SECRET_PARAM.test(k));
}

/**
 * For a text meant as one URL that does not parse as one: it may still hold a password (one
 * holding `/` or `#` breaks the parse), so everything between the scheme and its last `@` goes.
 */
function maskUnparsed(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return redactSecrets(text);
  const scheme = /^\s*[a-z][a-z0-9+.-]*:(?:\/\/)?/i.exec(text)?.[0] ?? '';
  return `${scheme}${MASK}${redactSecrets(text.slice(at))}`;
}

/**
 * The URL with its password (and password-like query parameters) masked, for logs, errors and
 * describe(). Parsed as a URL (as the config and the sink read it), so a password holding `@`
 * or a URL with no user name cannot leak part of it; a text that does not parse loses everything
 * before its last `@`.
 */
export function redactUrl(url: string): string {
  const u = withAuthority(url);
  if (!u) return maskUnparsed(url);
  // Nothing to mask: the text as given, not the parser's normal form (which adds a `/`, say).
  if (!carriesSecret(url)) return url;
  if (u.password) u.password = MASK;
  for (const key of secretParams(u)) u.searchParams.set(key, MASK);
  return u.toString();
}

/** Does this URL carry a secret (or might it: a text that does not parse but has an `@`)? */
export function carriesSecret(url: string): boolean {
  const u = withAuthority(url);
  if (!u) return url.includes('@') || new RegExp(SECRET_PARAM_IN_TEXT.source, 'i').test(url);
  return u.password !== '' || secretParams(u).length > 0;
}

/**
 * Free text (an error message from a library, a log line's fields) with the credentials of every
 * URL in it masked: the last line of defence where text Tandem did not build goes out.
 */
export function redactSecrets(text: string): string {
  return text.replace(USERINFO_IN_TEXT, `$1${MASK}@`).replace(SECRET_PARAM_IN_TEXT, `$1${MASK}`);
}
