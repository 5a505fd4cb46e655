export * from './config';
export * from './tables';
export * from './redact';
