// Structured logs: one JSON object per line when stderr is not a terminal (collectors parse it),
// a short human line when it is. Every line carries the component that wrote it, and no password:
// URLs in its text are masked here, whoever built the message (a library's error text included).
import { redactSecrets } from '../config/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  component?: string;
  /** Where lines go; defaults to stderr so stdout stays free for data. */
  write?: (line: string) => void;
  /** JSON lines; defaults to "stderr is not a TTY". */
  json?: boolean;
  level?: LogLevel;
  /** Called before each line, so a live status line can be cleared and redrawn. */
  beforeWrite?: () => void;
  now?: () => Date;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A field as it is written: errors as message and name, strings (also nested) with secrets masked. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { message: redactSecrets(value.message), name: value.name };
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export function formatLine(json: boolean, time: Date, level: LogLevel, component: string, msg: string, fields: LogFields): string {
  if (json) {
    const body: LogFields = { time: time.toISOString(), level, component, msg: redactSecrets(msg) };
    for (const [k, v] of Object.entries(fields)) body[k] = plain(v);
    return JSON.stringify(body);
  }
  const extra = Object.entries(fields)
    .map(([k, v]) => {
      const p = plain(v);
      return `${k}=${typeof p === 'string' ? p : JSON.stringify(p)}`;
    })
    .join(' ');
  return `${time.toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${component}] ${redactSecrets(msg)}${extra ? ' ' + extra : ''}`;
}

export function isLogLevel(s: string | undefined): s is LogLevel {
  return s !== undefined && s in rank;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const json = options.json ?? !process.stderr.isTTY;
  const envLevel = process.env.TANDEM_LOG_LEVEL;
  const level = options.level ?? (isLogLevel(envLevel) ? envLevel : 'info');
  const now = options.now ?? (() => new Date());
  const make = (component: string): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}) => {
      if (rank[lvl] < rank[level]) return;
      options.beforeWrite?.();
      write(formatLine(json, now(), lvl, component, msg, fields));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (c) => make(`${component}.${c}`),
    };
  };
  return make(options.component ?? 'tandem');
}
