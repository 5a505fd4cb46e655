// Proof that two databases are identical: chunked checksums by primary key, then row diffs.
export { compareDatabases, type CompareOptions, type VerifyReport, type TableReport, type RowDiff, type DiffKind } from './compare';
export { verifyDatabases, waitUntilConverged, type VerifyOptions, type ConvergeResult } from './verify';
export { formatReport, formatDiff } from './report';
export { connectForVerify } from './connect';
export { shapeFrom, bindFor, readCatalog, type TableShape, type VerifyColumn, type CatalogRow } from './table-shape';
export { rowHashExpr, keyBound, rangeWhere, checksumSql, nthKeySql, type KeyTuple, type Clause } from './sql';
export { checkTombstones, type TombstoneCheck } from './tombstones';
