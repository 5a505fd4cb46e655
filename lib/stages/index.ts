// Stages: one module each, each a factory returning a batch-level `Stage` (see lib/dsl).
export * from './origin-filter';
export * from './carry-deletes';
export * from './last-writer-wins';
export * from './route-by-table';
export * from './keep-rows-where';
export * from './version';
export * from './keys';
export * from './schema-changes';
