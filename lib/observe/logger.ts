// Structured logs through pino: one JSON object per line when stderr is not a terminal (collectors
// parse it), a short human line when it is. Every line carries the component that wrote it and its
// level as text ("info", "warn": e2e tests and the workload harness read them), and no password:
// URLs in its text are masked here, whoever built the message (a library's error text included).
import pino, { type DestinationStream } from 'pino';
import { redactSecrets } from '../config/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line of `level` is written: fields that cost something to gather are built only then. */
  enabled(level: LogLevel): boolean;
  child(component: string): Logger;
}

export interface LoggerOptions {
  component?: string;
  /** Where lines go (without their newline); defaults to stderr so stdout stays free for data. */
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

/** Keys every line has; a field of the same name is renamed rather than repeated in the line. */
const RESERVED = new Set(['time', 'level', 'component', 'msg']);

/** The fields of a line, masked and made JSON-safe. */
function plainFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[RESERVED.has(k) ? `field.${k}` : k] = plain(v);
  return out;
}

/** The short line a terminal shows: `12:00:01.250 WARN  [tandem.runtime] msg key=value`. */
function textLine(time: string, level: string, component: string, msg: string, fields: LogFields): string {
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${extra ? ' ' + extra : ''}`;
}

/** One line as the logger writes it (tests and tools that print in the same format). */
export function formatLine(json: boolean, time: Date, level: LogLevel, component: string, msg: string, fields: LogFields): string {
  const body = { time: time.toISOString(), level, component, msg: redactSecrets(msg), ...plainFields(fields) };
  if (json) return JSON.stringify(body);
  const { time: t, level: l, component: c, msg: m, ...rest } = body;
  return textLine(t, l, c, m, rest);
}

/** pino's JSON line turned into the terminal's text line (pino itself only writes JSON). */
function jsonToText(line: string): string {
  const { time, level, component, msg, ...rest } = JSON.parse(line) as LogFields;
  return textLine(String(time), String(level), String(component), String(msg), rest);
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
  // Synchronous: a line is out before the next statement (a fatal exit loses nothing), and the
  // status line is cleared right before it.
  const destination: DestinationStream = {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      options.beforeWrite?.();
      write(json ? line : jsonToText(line));
    },
  };
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: () => `,"time":${JSON.stringify(now().toISOString())}`,
      // Fields are masked before pino sees them: its own `err` serializer would add the stack.
      serializers: { err: (v: unknown) => v },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const make = (component: string): Logger => {
    // One child per component name (not nested children): pino repeats a key bound twice.
    const out = root.child({ component });
    const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}) => {
      if (rank[lvl] < rank[level]) return;
      out[lvl](plainFields(fields), redactSecrets(msg));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      enabled: (lvl) => rank[lvl] >= rank[level],
      child: (c) => make(`${component}.${c}`),
    };
  };
  return make(options.component ?? 'tandem');
}
