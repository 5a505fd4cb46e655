export * from './client';
export * from './transient';
