export * from './logger';
export * from './counters';
export * from './status-line';
export * from './outages';
export * from './runtime-monitor';
