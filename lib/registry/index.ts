export * from './schema-source';
export * from './wire-format';
export * from './in-memory-registry';
export * from './confluent-source';
export * from './classify';
