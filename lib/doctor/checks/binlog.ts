// Debezium reads row changes from the binlog: it must be on, in ROW format, with full row images
// (the sink's last-writer-wins needs every column of every change).
import { ok, refused, type Finding } from '../finding';
import { variable, type DoctorContext } from './context';

const WANTED: readonly [string, string][] = [
  ['log_bin', 'ON'],
  ['binlog_format', 'ROW'],
  ['binlog_row_image', 'FULL'],
];

export function checkBinlog(ctx: DoctorContext): Finding[] {
  return ctx.sides.map(({ server }) => {
    const wrong = WANTED.filter(([name, want]) => variable(server, name).toUpperCase() !== want);
    if (wrong.length === 0) return ok('binlog', server.id, 'log_bin ON, binlog_format ROW, binlog_row_image FULL');
    return refused(
      'binlog',
      server.id,
      `${wrong.map(([name, want]) => `${name} is ${variable(server, name)} (needs ${want})`).join(', ')}: Debezium would miss or truncate row changes`,
      `set log_bin, binlog_format=ROW and binlog_row_image=FULL in the server's options ([mariadbd] section) and restart it` +
        (wrong.some(([name]) => name === 'log_bin') ? '' : ` (or SET GLOBAL ${wrong.map(([name, want]) => `${name} = '${want}'`).join(', ')} until then: new sessions only)`),
    );
  });
}
