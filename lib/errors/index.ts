export * from './tandem-error';
export * from './retry';
