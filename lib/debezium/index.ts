export * from './decoder';
export * from './encoder';
export * from './envelope-schema';
export * from './shipped-schemas';
export { toSourceInfo, snapshotOf } from './envelope-plan';
export { debeziumLong, compileAvro } from './long-type';
export { semanticTypes, avroLogicalTypes, unscaledFromBytes, unscaledToBytes } from './types';
export type { RowPlan, FieldPlan } from './row-plan';
