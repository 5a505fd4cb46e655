export * from './ports';
export * from './runtime';
export * from './offset-tracker';
export * from './topic-router';
export * from './kafka-config';
export * from './dead-letter-message';
export * from './dsl-pipeline';
export * from './shutdown';
