import t from 'tap';
import { LocalDateTime } from '../../../lib/model';

// The text the BigInt arithmetic gives (the path kept for values beyond 2^53 microseconds).
function reference(micros: bigint, digits: number): string {
  const day = 86_400_000_000n;
  const dayMicros = ((micros % day) + day) % day;
  const date = new Date(Number((micros - dayMicros) / 1000n));
  const ymd = `${String(date.getUTCFullYear()).padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
  const s = dayMicros / 1_000_000n;
  const hms = [s / 3600n, (s % 3600n) / 60n, s % 60n].map((n) => String(n).padStart(2, '0')).join(':');
  const frac = digits > 0 ? `.${String(dayMicros % 1_000_000n).padStart(6, '0').slice(0, digits)}` : '';
  return `${ymd} ${hms}${frac}`;
}

t.test('a DATETIME renders the same text whatever its range, day boundaries and digits', async (t) => {
  let seed = 42;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cases: bigint[] = [0n, -1n, 1n, 86_399_999_999n, 86_400_000_000n, -86_400_000_000n, -86_400_000_001n, 951_782_400_000_000n /* 2000-02-29 */];
  for (let i = 0; i < 5000; i++) cases.push(BigInt(Math.floor((next() - 0.5) * 2 * 8.0e15)));
  let bad = 0;
  for (const micros of cases) {
    for (const digits of [0, 3, 6]) {
      if (new LocalDateTime(micros, digits).toString() !== reference(micros, digits)) bad++;
    }
  }
  t.equal(bad, 0, `${cases.length * 3} values (years 1716-2223, 0/3/6 digits) render as the reference does`);
  t.equal(new LocalDateTime(1_700_000_000_123_456n, 6).toString(), '2023-11-14 22:13:20.123456');
  t.equal(new LocalDateTime(-1n, 6).toString(), '1969-12-31 23:59:59.999999');
  t.equal(new LocalDateTime(253_402_300_799_999_999n, 6).toString(), '9999-12-31 23:59:59.999999', 'beyond 2^53 µs: the BigInt path');
});
