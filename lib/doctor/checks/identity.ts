// Who wrote a change is told by the binlog event's server id (docs/loop-prevention.md §1): each
// server's own server_id must differ from the other's and from Tandem's, and Tandem's GTID domain
// from each server's, or application writes would pass for Tandem's (and be dropped as echoes).
import { identityClashes } from '../../sink';
import { ok, refused, type Finding } from '../finding';
import { allServers, variable, type DoctorContext } from './context';

export function checkServerIds(ctx: DoctorContext): Finding[] {
  const tandem = { serverId: ctx.config.serverId, gtidDomainId: ctx.config.gtidDomainId };
  const findings: Finding[] = [];
  for (const { server } of ctx.sides) {
    const domain = server.variables.gtid_domain_id;
    for (const clash of identityClashes(tandem, { serverId: Number(variable(server, 'server_id')), gtidDomainId: domain === undefined ? undefined : Number(domain) })) {
      findings.push(refused('server ids', server.id, clash.message, clash.hint));
    }
  }
  const [a, b] = ctx.sides;
  if (a && b && variable(a.server, 'server_id') === variable(b.server, 'server_id')) {
    findings.push(
      refused(
        'server ids',
        allServers(ctx),
        `${a.server.id} and ${b.server.id} both have server_id ${variable(a.server, 'server_id')}: their changes (and their tombstones' origin) cannot be told apart`,
        `give each server its own server_id (server_id=N in its options; SET GLOBAL server_id = N until a restart)`,
      ),
    );
  }
  if (findings.length > 0) return findings;
  const ids = ctx.sides.map(({ server }) => `${server.id}=${variable(server, 'server_id')}`).join(', ');
  const domains = ctx.sides.every(({ server }) => server.variables.gtid_domain_id !== undefined)
    ? `; gtid_domain_id ${ctx.sides.map(({ server }) => `${server.id}=${variable(server, 'gtid_domain_id')}`).join(', ')}, Tandem's ${ctx.config.gtidDomainId}`
    : '';
  return [ok('server ids', allServers(ctx), `server_id ${ids}, Tandem's ${ctx.config.serverId}${domains}`)];
}
