export { mysqlSink, type MysqlSinkOptions, type SinkTableOptions } from './mysql-sink';
export { installOriginSupport, uninstallOriginSupport, type OriginSupportOptions } from './origin-support';
export { dialectFor, mariadbDialect, mysql8Dialect, toSqlValue, quoteId, TOMBSTONE_TABLE, TOMBSTONE_PK_BYTES, TANDEM_SQL_MODE, tandemTriggerNames, type Dialect, type SqlValue, type SessionIdentity } from './dialect';
export { tableMetaFrom, readTableMeta, type TableMeta, type ColumnMeta } from './table-meta';
export { kindOfMysqlError, describeMysqlError, toTandemError } from './classify';
export { createSinkPool, redactUrl, identityClashes, type IdentityClash } from './connection';
export { SchemaChanges, primeSchemaAgreement, resetSchemaState, type SchemaPeer } from './schema-changes';
