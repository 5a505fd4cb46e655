import t from 'tap';
import { ddlKind, ddlTable, isAdditive, requalify, stripLeadingComments, tableRename, topLevelParts } from '../../../lib/ddl';

t.test('the kind of a statement, past leading comments', async (t) => {
  const cases: [string, string][] = [
    ['ALTER TABLE rooms ADD COLUMN x INT', 'alter-table'],
    ['/* app migration 42 */ -- note\n alter online ignore table `rooms` drop column x', 'alter-table'],
    ['CREATE TABLE t (id INT PRIMARY KEY)', 'create-table'],
    ['create or replace table t (id int)', 'create-table'],
    ['CREATE UNIQUE INDEX ux ON t (a)', 'create-index'],
    ['DROP INDEX ix ON t', 'drop-index'],
    ['RENAME TABLE a TO b, c TO d', 'rename-table'],
    ['TRUNCATE TABLE t', 'truncate'],
    ['DROP TABLE IF EXISTS t', 'drop-table'],
    ['CREATE TEMPORARY TABLE tmp (id INT)', 'other'],
    ['DROP TEMPORARY TABLE tmp', 'other'],
    ['CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET @a = 1', 'other'],
    ['CREATE VIEW v AS SELECT 1', 'other'],
  ];
  for (const [sql, kind] of cases) t.equal(ddlKind(sql), kind, sql);
  t.equal(stripLeadingComments('  # a\n/* b */ SELECT 1'), 'SELECT 1');
  t.equal(stripLeadingComments('/*!40101 SET x=1 */'), '/*!40101 SET x=1 */', 'executable comments stay');
});

t.test('top-level parts ignore commas inside parentheses, quotes and backticks', async (t) => {
  t.same(topLevelParts("ADD COLUMN a DECIMAL(10,2) DEFAULT '1,2', ADD INDEX `i,x` (a, b), COMMENT 'x'"), [
    "ADD COLUMN a DECIMAL(10,2) DEFAULT '1,2'",
    'ADD INDEX `i,x` (a, b)',
    "COMMENT 'x'",
  ]);
  t.same(topLevelParts("COMMENT 'it\\'s, fine'"), ["COMMENT 'it\\'s, fine'"]);
});

t.test('additive: only what cannot lose data', async (t) => {
  for (const sql of [
    'ALTER TABLE rooms ADD COLUMN topic2 VARCHAR(20) NULL',
    'ALTER TABLE `chat`.`rooms` ADD x INT, ADD INDEX ix (x), ADD UNIQUE KEY ux (x), COMMENT = "rooms"',
    'ALTER TABLE rooms ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id)',
    'CREATE TABLE t (id INT PRIMARY KEY)',
    'CREATE INDEX ix ON t (a)',
  ])
    t.ok(isAdditive(sql), sql);
  for (const sql of [
    'ALTER TABLE rooms MODIFY name VARCHAR(200)',
    'ALTER TABLE rooms ADD COLUMN x INT, DROP COLUMN y',
    'ALTER TABLE rooms RENAME COLUMN a TO b',
    'ALTER TABLE rooms CHANGE a b INT',
    'ALTER TABLE rooms DROP INDEX ix',
    'DROP INDEX ix ON t',
    'RENAME TABLE a TO b',
    'TRUNCATE TABLE t',
    'DROP TABLE t',
    'CREATE OR REPLACE TABLE t (id INT)',
  ])
    t.notOk(isAdditive(sql), sql);
});

t.test('requalify: names qualified with the source database point at the target one; strings untouched', async (t) => {
  t.equal(requalify('ALTER TABLE `chat`.`rooms` ADD x INT', 'chat', 'chat'), 'ALTER TABLE `chat`.`rooms` ADD x INT');
  t.equal(requalify('ALTER TABLE `chat`.`rooms` ADD x INT', 'chat', 'chat_b'), 'ALTER TABLE `chat_b`.`rooms` ADD x INT');
  t.equal(requalify("ALTER TABLE chat.rooms ADD x VARCHAR(9) DEFAULT 'chat.rooms'", 'chat', 'other'), "ALTER TABLE `other`.rooms ADD x VARCHAR(9) DEFAULT 'chat.rooms'");
  t.equal(requalify('ALTER TABLE rooms ADD chatx INT', 'chat', 'other'), 'ALTER TABLE rooms ADD chatx INT');
});

t.test('the table a statement changes, from its text', async (t) => {
  const cases: [string, string | undefined][] = [
    ['CREATE INDEX ix ON rooms (a)', 'rooms'],
    ['create unique index ix on `chat`.`my rooms` (a)', 'my rooms'],
    ['DROP INDEX ix ON chat.rooms', 'rooms'],
    ['ALTER TABLE IF EXISTS `rooms` ADD x INT', 'rooms'],
    ['ALTER ONLINE TABLE chat.rooms ADD x INT', 'rooms'],
    ['CREATE TABLE IF NOT EXISTS notes (id INT)', 'notes'],
    ['RENAME TABLE a TO b, c TO d', 'a'],
    ['TRUNCATE rooms', 'rooms'],
    ['TRUNCATE TABLE `rooms`', 'rooms'],
    ['DROP TABLE IF EXISTS x, y', 'x'],
    ['CREATE VIEW v AS SELECT 1', undefined],
  ];
  for (const [sql, table] of cases) t.equal(ddlTable(sql), table, sql);
});

t.test('tableRename: the old and new name of RENAME TABLE and ALTER TABLE ... RENAME TO, nothing else', async (t) => {
  t.same(tableRename('RENAME TABLE rooms TO halls'), { from: 'rooms', to: 'halls' });
  t.same(tableRename('RENAME TABLE `chat`.`a b` TO `chat`.`c`, x TO y'), { from: 'a b', to: 'c' }, 'qualified, quoted, the first pair');
  t.same(tableRename('ALTER TABLE rooms RENAME TO halls'), { from: 'rooms', to: 'halls' });
  t.same(tableRename('ALTER TABLE rooms RENAME halls'), { from: 'rooms', to: 'halls' });
  t.equal(tableRename('ALTER TABLE rooms RENAME COLUMN a TO b'), undefined);
  t.equal(tableRename('ALTER TABLE rooms RENAME INDEX a TO b'), undefined);
  t.equal(tableRename('ALTER TABLE rooms ADD x INT'), undefined);
});
