export * from './values';
export * from './change-event';
export * from './sink';
export * from './kafka-record';
export * from './conflict-record';
export * from './tombstone';
export * from './content-hash';
export * from './ordering';
