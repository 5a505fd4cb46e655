export * from './syncable';
export * from './resolve';
