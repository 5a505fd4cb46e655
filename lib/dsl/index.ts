// The DSL builds a plain graph and runs batches through it; it does no I/O of its own.
export * from './stage';
export * from './topology';
export * from './builder';
export * from './describe';
export * from './execute';
export * from './define';
