// Server checks over made-up facts: what no MariaDB in the db tests can show (a MySQL 8 server,
// an unsupported version), and that every check is a pure function of the facts.
import t from 'tap';
import { loadConfig } from '../../../lib/config';
import { SERVER_CHECKS, type Finding, type ServerFacts } from '../../../lib/doctor';
import type { DoctorContext } from '../../../lib/doctor/checks/context';

const server = (id: string, version: string, variables: Record<string, string>): ServerFacts => ({
  id,
  url: `mysql://tandem:***@db-${id}:3306/chat`,
  database: 'chat',
  version,
  variables: { log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', time_zone: '+00:00', system_time_zone: 'UTC', sql_mode: 'STRICT_TRANS_TABLES', max_allowed_packet: '67108864', log_bin_trust_function_creators: 'OFF', ...variables },
  currentUser: 'tandem@%',
  grants: ['GRANT SUPER ON *.* TO `tandem`@`%`', 'GRANT ALL PRIVILEGES ON `chat`.* TO `tandem`@`%`'],
  utcOffsetS: 0,
});

const run = (sides: ServerFacts[]): Finding[] => {
  const ctx: DoctorContext = { config: loadConfig({ TANDEM_CONNECT_URL: '' }), sides: sides.map((s) => ({ server: s, tables: new Map() })), connectors: { kind: 'unset' } };
  return SERVER_CHECKS.flatMap((check) => check(ctx));
};

t.test('a MySQL 8 pair: supported with a note, no GTID domain to compare', async (t) => {
  const findings = run([server('a', '8.0.36', { server_id: '11', transaction_isolation: 'REPEATABLE-READ' }), server('b', '8.0.36', { server_id: '12', transaction_isolation: 'READ-COMMITTED' })]);
  t.same(findings.filter((f) => f.level !== 'ok'), []);
  t.match(findings.find((f) => f.check === 'version')?.message, /MySQL 8\.0\.36: not yet tested live; no session server_id/);
  t.equal(findings.find((f) => f.check === 'server ids')?.message, "server_id a=11, b=12, Tandem's 4100");
  t.match(findings.find((f) => f.check === 'isolation' && f.subject === 'b')?.message, /server default READ-COMMITTED/);
});

t.test('an unsupported version is refused', async (t) => {
  const [a] = run([server('a', '10.4.32-MariaDB', { server_id: '11', gtid_domain_id: '1' })]).filter((f) => f.check === 'version');
  t.equal(a.level, 'refused');
  t.match(a.message, /MariaDB 10\.4 is not supported/);
});

t.test('one database answering: its own checks run, the comparisons wait for both', async (t) => {
  const findings = run([server('a', '10.11.6-MariaDB', { server_id: '11', gtid_domain_id: '1' })]);
  t.same(findings.filter((f) => f.subject.includes(',') && f.check !== 'server ids'), [], 'no time zone or max_allowed_packet comparison');
});
