import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import reporting from '../../../../topologies/examples/reporting';
import { loadConfig } from '../../../../lib/config';

// docs/writing-topologies.md quotes the example's code, test, SQL and describe output: each quote
// must still be what the files hold, so the guide cannot drift from the code it teaches.

const root = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const guide = read('docs/writing-topologies.md');

/** The fenced blocks of one section of the guide (from its heading to the next `## `). */
function blocks(heading: string, lang = ''): string[] {
  const start = guide.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`no section "${heading}" in the guide`);
  const end = guide.indexOf('\n## ', start + 1);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

t.test('every line of the topology built in §2 is in topologies/examples/reporting.ts', async (t) => {
  const file = read('topologies/examples/reporting.ts').split('\n');
  const lines = blocks('2. The topology', 'ts').flatMap((b) => b.split('\n')).filter((l) => l.trim() !== '');
  t.ok(lines.length >= 10, 'the steps quote the topology');
  for (const line of lines) t.ok(file.includes(line), `in the file: ${line.trim()}`);
});

t.test('the test quoted in §3 is in the example test, paragraph by paragraph', async (t) => {
  const file = read('test/unit/topologies/examples/reporting.test.ts');
  const [quoted] = blocks('3. Testing', 'ts');
  for (const paragraph of quoted.trim().split('\n\n')) t.ok(file.includes(paragraph), `in the test: ${paragraph.split('\n')[0]}`);
});

t.test('§4 shows what make describe prints', async (t) => {
  const config = loadConfig({ TANDEM_DB_B_URL: 'mysql://tandem:tandem@127.0.0.1:3308/reporting', TANDEM_TABLES: 'rooms,messages' });
  const printed = reporting.build({ config }).describe().toString();
  const [shown] = blocks('4. Describing');
  t.equal(shown.split('\n').slice(1).join('\n'), printed);
});

t.test('the table §5 shows is the one topologies/examples/reporting.sql creates', async (t) => {
  const sql = read('topologies/examples/reporting.sql').split('\n');
  const [shown] = blocks('5. Running', 'sql');
  for (const line of shown.trim().split('\n')) t.ok(sql.includes(line.replace(/\s+--.*$/, '').replace(/\s+$/, '')), `in the SQL file: ${line.trim()}`);
});
