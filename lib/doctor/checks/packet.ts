// A row (or one statement of Tandem's batch) must fit max_allowed_packet on the side it is
// written to: with different limits, a row written on one side may be refused on the other.
import { ok, warning, type Finding } from '../finding';
import { allServers, variable, type DoctorContext } from './context';

const mib = (bytes: string) => (Number(bytes) % 1_048_576 === 0 ? `${Number(bytes) / 1_048_576} MiB` : `${bytes} bytes`);

export function checkMaxAllowedPacket(ctx: DoctorContext): Finding[] {
  const [a, b] = ctx.sides.map((s) => s.server);
  if (!a || !b) return [];
  const [pa, pb] = [variable(a, 'max_allowed_packet'), variable(b, 'max_allowed_packet')];
  if (pa === pb) return [ok('max_allowed_packet', allServers(ctx), `${mib(pa)} on both`)];
  const larger = Math.max(Number(pa), Number(pb));
  return [
    warning(
      'max_allowed_packet',
      allServers(ctx),
      `${a.id} ${mib(pa)}, ${b.id} ${mib(pb)}: a row that fits ${Number(pa) > Number(pb) ? a.id : b.id} may not fit ${Number(pa) > Number(pb) ? b.id : a.id} (it would be dead-lettered there)`,
      `set the same max_allowed_packet on both (max_allowed_packet=${larger} in both servers' options; SET GLOBAL max_allowed_packet = ${larger} until a restart)`,
    ),
  ];
}
