export * from './config';
export * from './tables';
export * from './redact';
export * from './synced-tables';
