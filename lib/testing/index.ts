// Testing topologies without services: the topology test driver and its in-memory databases.
export * from './test-driver';
export * from './in-memory-database';
export * from './capture-sink';
export * from './change-events';
export * from './run-stage';
