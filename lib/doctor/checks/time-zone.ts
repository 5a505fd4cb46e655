// Last-writer-wins compares the updated_at each side's application wrote, usually with NOW(6),
// which is local time in the session's zone: two servers in different zones make one side's
// writes look hours newer than the other's.
import type { ServerFacts } from '../facts';
import { ok, warning, type Finding } from '../finding';
import { allServers, variable, type DoctorContext } from './context';

/** The zone NOW() uses by default: time_zone, or the system's when that is SYSTEM. */
export function effectiveZone(s: ServerFacts): string {
  const zone = variable(s, 'time_zone');
  return zone.toUpperCase() === 'SYSTEM' ? `SYSTEM (${variable(s, 'system_time_zone')})` : zone;
}

const offset = (s: ServerFacts) => {
  const sign = s.utcOffsetS < 0 ? '-' : '+';
  const abs = Math.abs(s.utcOffsetS);
  return `UTC${sign}${Math.floor(abs / 3600)}:${String(Math.floor((abs % 3600) / 60)).padStart(2, '0')}`;
};

export function checkTimeZones(ctx: DoctorContext): Finding[] {
  const [a, b] = ctx.sides.map((s) => s.server);
  if (!a || !b) return [];
  const describe = (s: ServerFacts) => `${s.id} ${effectiveZone(s)}, now ${offset(s)}`;
  if (effectiveZone(a) === effectiveZone(b)) return [ok('time zone', allServers(ctx), `both ${effectiveZone(a)} (now ${offset(a)})`)];
  return [
    warning(
      'time zone',
      allServers(ctx),
      `${describe(a)}; ${describe(b)}: last-writer-wins compares the updated_at each side's NOW(6) wrote, so ${a.utcOffsetS === b.utcOffsetS ? 'they agree only while both offsets stay equal (daylight saving)' : "one side's writes look newer than the other's by the difference"}`,
      "run both servers in one zone (default_time_zone = '+00:00' in both servers' options; SET GLOBAL time_zone = '+00:00' until a restart), or have the application write updated_at = UTC_TIMESTAMP(6)",
    ),
  ];
}
