export { mysqlSink, type MysqlSinkOptions, type SinkTableOptions } from './mysql-sink';
export { installOriginSupport, uninstallOriginSupport, type OriginSupportOptions } from './origin-support';
export { dialectFor, mariadbDialect, mysql8Dialect, toSqlValue, quoteId, TOMBSTONE_TABLE, TANDEM_SQL_MODE, type Dialect, type SqlValue } from './dialect';
export { tableMetaFrom, readTableMeta, type TableMeta, type ColumnMeta } from './table-meta';
export { kindOfMysqlError } from './classify';
export { createSinkPool, redactUrl } from './connection';
export { SchemaEvolution, columnType, addColumnStatement, schemaMismatch } from './schema-evolution';
