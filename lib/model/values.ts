// JS values for Debezium's semantic types. Each keeps the exact value the database holds
// (JS Date has only milliseconds, JS numbers lose DECIMALs and large BIGINTs), renders the
// literal MySQL/MariaDB accepts for binding, and exposes an integer for ordering.

const MICROS_PER_DAY = 86_400_000_000n;

function pad(n: number | bigint, width: number): string {
  return n.toString().padStart(width, '0');
}

function fraction(micros: bigint, digits: number): string {
  if (digits <= 0) return '';
  return '.' + pad(micros, 6).slice(0, Math.min(digits, 6));
}

function civilFromDays(epochDay: number): [number, number, number] {
  // Howard Hinnant's days-to-civil algorithm: exact for the proleptic Gregorian calendar.
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function dateString(epochDay: number): string {
  const [y, m, d] = civilFromDays(epochDay);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function timeOfDay(micros: bigint, digits: number): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const totalSeconds = abs / 1_000_000n;
  const h = totalSeconds / 3600n;
  const m = (totalSeconds % 3600n) / 60n;
  const s = totalSeconds % 60n;
  return `${neg ? '-' : ''}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(abs % 1_000_000n, digits)}`;
}

const MAX_EXACT_MICROS = BigInt(Number.MAX_SAFE_INTEGER);
const DAY_US = 86_400_000_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
// Rows of one flush mostly share their day: its text is kept for the next value.
let lastDay = NaN;
let lastDayText = '';

/**
 * `LocalDateTime.toString` for |micros| ≤ 2^53, without BigInt arithmetic; the same text. Exported
 * for bench/floor.ts, which formats Debezium's timestamps as cheaply as Tandem does.
 */
export function dateTimeText(micros: number, digits: number): string {
  const dayMicros = ((micros % DAY_US) + DAY_US) % DAY_US;
  const epochDay = (micros - dayMicros) / DAY_US;
  if (epochDay !== lastDay) {
    lastDayText = dateString(epochDay);
    lastDay = epochDay;
  }
  const secs = Math.floor(dayMicros / 1_000_000);
  const us = dayMicros - secs * 1_000_000;
  const h = Math.floor(secs / 3600);
  const rest = secs - h * 3600;
  const m = Math.floor(rest / 60);
  const time = `${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[rest - m * 60]}`;
  if (digits <= 0) return `${lastDayText} ${time}`;
  return `${lastDayText} ${time}.${String(1_000_000 + us).slice(1, 1 + Math.min(digits, 6))}`;
}

/** A DATE (io.debezium.time.Date: days since the epoch). */
export class LocalDate {
  constructor(readonly epochDay: number) {}
  toString(): string {
    return dateString(this.epochDay);
  }
  toJSON(): string {
    return this.toString();
  }
}

/** A TIME (io.debezium.time.Time / MicroTime). MySQL TIME may be negative or exceed 24h. */
export class LocalTime {
  constructor(readonly micros: bigint, readonly fractionDigits = 6) {}
  toString(): string {
    return timeOfDay(this.micros, this.fractionDigits);
  }
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A DATETIME without zone (io.debezium.time.Timestamp / MicroTimestamp / NanoTimestamp).
 * `epochMicros` is the value Tandem orders by; `nanos` keeps NanoTimestamp's sub-µs rest.
 */
export class LocalDateTime {
  constructor(
    readonly epochMicros: bigint,
    readonly fractionDigits = 6,
    readonly nanos = 0,
  ) {}
  static parse(text: string): LocalDateTime {
    const m = /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/.exec(text);
    if (!m) throw new RangeError(`not a DATETIME literal: ${JSON.stringify(text)}`);
    const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
    const secs = BigInt(days) * 86400n + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]));
    const frac = (m[7] ?? '').padEnd(9, '0');
    const micros = secs * 1_000_000n + BigInt(frac.slice(0, 6));
    return new LocalDateTime(micros, m[7] ? Math.min(m[7].length, 6) : 0, Number(frac.slice(6)));
  }
  toString(): string {
    // The sink renders two or three of these per row: in doubles when exact (years 1685-2255).
    if (this.epochMicros >= -MAX_EXACT_MICROS && this.epochMicros <= MAX_EXACT_MICROS) return dateTimeText(Number(this.epochMicros), this.fractionDigits);
    const dayMicros = ((this.epochMicros % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY;
    const epochDay = Number((this.epochMicros - dayMicros) / MICROS_PER_DAY);
    return `${dateString(epochDay)} ${timeOfDay(dayMicros, this.fractionDigits)}`;
  }
  toJSON(): string {
    return this.toString();
  }
  /** Milliseconds, for display and for JS Date interop only (loses microseconds). */
  toDate(): Date {
    return new Date(Number(this.epochMicros / 1000n));
  }
}

/** A TIMESTAMP (io.debezium.time.ZonedTimestamp): an instant, ISO-8601 text in UTC. */
export class ZonedDateTime {
  readonly epochMicros: bigint;
  constructor(readonly iso: string) {
    const m = /^(.*?)(Z|[+-]\d{2}:\d{2})$/.exec(iso);
    if (!m) throw new RangeError(`not a zoned timestamp: ${JSON.stringify(iso)}`);
    let micros = LocalDateTime.parse(m[1]).epochMicros;
    if (m[2] !== 'Z') {
      const sign = m[2].startsWith('-') ? -1n : 1n;
      const [hh, mm] = m[2].slice(1).split(':').map(Number);
      micros -= sign * BigInt(hh * 3600 + mm * 60) * 1_000_000n;
    }
    this.epochMicros = micros;
  }
  /** The same instant as a UTC DATETIME literal (sessions that write it run with time_zone='+00:00'). */
  toUtc(): LocalDateTime {
    const digits = /\.(\d+)/.exec(this.iso)?.[1].length ?? 0;
    return new LocalDateTime(this.epochMicros, Math.min(digits, 6));
  }
  toString(): string {
    return this.iso;
  }
  toJSON(): string {
    return this.iso;
  }
}

/** A DECIMAL (org.apache.kafka.connect.data.Decimal): exact, as unscaled integer and scale. */
export class Decimal {
  constructor(readonly unscaled: bigint, readonly scale: number) {}
  static parse(text: string): Decimal {
    const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
    if (!m) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
    const frac = m[3] ?? '';
    const unscaled = BigInt(m[2] + frac) * (m[1] === '-' ? -1n : 1n);
    return new Decimal(unscaled, frac.length);
  }
  toString(): string {
    const neg = this.unscaled < 0n;
    const digits = (neg ? -this.unscaled : this.unscaled).toString();
    if (this.scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-this.scale);
    const padded = digits.padStart(this.scale + 1, '0');
    return `${neg ? '-' : ''}${padded.slice(0, -this.scale)}.${padded.slice(-this.scale)}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** A JSON column (io.debezium.data.Json): the exact text, parsed on demand. */
export class Json {
  constructor(readonly text: string) {}
  get value(): unknown {
    return JSON.parse(this.text);
  }
  toString(): string {
    return this.text;
  }
  toJSON(): unknown {
    return this.value;
  }
}

/**
 * Every value a decoded column can hold. Integers are numbers while exact and bigint beyond
 * 2^53; BLOB and BINARY columns are Buffers, BIT(n > 1) too (big-endian, ceil(n/8) bytes, as
 * the column holds it), BIT(1) a boolean; ENUM/SET and text are strings.
 */
export type ColumnValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | LocalDate
  | LocalTime
  | LocalDateTime
  | ZonedDateTime
  | Decimal
  | Json
  | ColumnValue[];

/** Microseconds since the epoch of a temporal column value, for ordering (LWW). */
export function epochMicrosOf(value: ColumnValue): bigint | undefined {
  if (value instanceof LocalDateTime || value instanceof ZonedDateTime) return value.epochMicros;
  if (value instanceof LocalDate) return BigInt(value.epochDay) * MICROS_PER_DAY;
  return undefined;
}
