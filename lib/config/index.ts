export * from './config';
export * from './tables';
