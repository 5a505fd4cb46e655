import { redactSecrets } from '../config/redact';
import { TandemError, type ErrorKind } from '../errors';

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** The HTTP client's text, which Tandem did not write: any URL credentials in it are masked. */
function messageOf(err: unknown): string {
  return redactSecrets(err instanceof Error ? err.message : String(err));
}

/**
 * Registry failures, classified where first caught: unreachable, timeouts, 408/429 and 5xx are
 * the environment (retriable); 401/403 and other refusals need an operator (fatal); a 404 means
 * what the caller says (an unknown schema id is retriable and loud: the registry, not the record,
 * is wrong, and dead-lettering would throw away every record of the stream).
 */
export function classifyRegistryError(err: unknown, doing: string, options: { notFound: ErrorKind }): TandemError {
  const status = statusOf(err);
  const context = { stage: 'schema-registry' };
  // mappersmith reports network failures and its own timeout as status 400 with the socket error text.
  const network = status === undefined || status === 0 || (status === 400 && /timeout|ECONN|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|network/i.test(messageOf(err)));
  if (network || status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    return new TandemError('retriable', `registry unavailable while ${doing}: ${messageOf(err)}`, {
      ...context,
      hint: 'is the schema registry up and reachable (TANDEM_REGISTRY_URL)?',
    }, { cause: err });
  }
  if (status === 404) {
    return new TandemError(options.notFound, `registry has no such entry while ${doing} (404): ${messageOf(err)}`, {
      ...context,
      hint: 'the record references a schema this registry does not hold: wrong TANDEM_REGISTRY_URL, or the registry lost its data (restore it); Tandem waits, the record is not dead-lettered',
    }, { cause: err });
  }
  return new TandemError('fatal', `registry refused ${doing} (status ${status}): ${messageOf(err)}`, {
    ...context,
    hint: status === 401 || status === 403 ? 'check the registry credentials' : 'check TANDEM_REGISTRY_URL and the registry logs',
  }, { cause: err });
}
