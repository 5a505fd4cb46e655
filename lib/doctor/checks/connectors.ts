// A Debezium MySQL/MariaDB connector reads the binlog as a replica with its own
// `database.server.id`; it must not be any server's id nor Tandem's (TANDEM_SERVER_ID). Read from
// Kafka Connect when TANDEM_CONNECT_URL is known; the connectors are those whose topic.prefix is a
// configured database id (as the runtime's connector watch picks them).
import { ok, refused, warning, type Finding } from '../finding';
import { variable, type DoctorContext } from './context';

const CHECK = 'connectors';
const SUBJECT = 'connect';

export function checkConnectors(ctx: DoctorContext): Finding[] {
  const view = ctx.connectors;
  if (view.kind === 'unset') return [ok(CHECK, SUBJECT, "TANDEM_CONNECT_URL is not set: the connectors' database.server.id are not compared")];
  if (view.kind === 'unreachable') {
    return [
      warning(CHECK, SUBJECT, `Kafka Connect at ${view.url} did not answer (${view.error}): the connectors' database.server.id were not compared`, 'start Kafka Connect (make stack-up for the local stack) or point TANDEM_CONNECT_URL at it, then run make doctor again'),
    ];
  }
  const taken = new Map<string, string>([[String(ctx.config.serverId), "Tandem's (TANDEM_SERVER_ID)"]]);
  for (const { server } of ctx.sides) taken.set(variable(server, 'server_id'), `server ${server.id}'s server_id`);
  const findings: Finding[] = [];
  const seen: string[] = [];
  for (const db of ctx.config.databases) {
    const mine = view.connectors.filter((c) => c.topicPrefix === db.id);
    if (mine.length === 0) {
      findings.push(warning(CHECK, SUBJECT, `no connector on ${view.url} has topic.prefix ${db.id}: nothing would carry ${db.id}'s changes`, `create the Debezium source connector of ${db.id} with topic.prefix=${db.id} (make stack-up does for the local stack)`));
    }
    for (const c of mine) {
      const id = c.databaseServerId;
      if (id === undefined) {
        findings.push(warning(CHECK, SUBJECT, `connector ${c.name} (topic.prefix ${db.id}) sets no database.server.id`, `set database.server.id to an id no server uses and not ${ctx.config.serverId} (the local stack uses 5401 and 5402)`));
      } else if (taken.has(id)) {
        findings.push(refused(CHECK, SUBJECT, `connector ${c.name} (topic.prefix ${db.id}) has database.server.id ${id}, the same as ${taken.get(id)}`, `set the connector's database.server.id to an id no server uses and not ${ctx.config.serverId} (PUT /connectors/${c.name}/config)`));
      } else {
        seen.push(`${c.name} ${id}`);
      }
    }
  }
  if (seen.length > 0 && findings.every((f) => f.level !== 'refused')) {
    findings.unshift(ok(CHECK, SUBJECT, `database.server.id ${seen.join(', ')}: none is a server's id or Tandem's ${ctx.config.serverId}`));
  }
  return findings;
}
