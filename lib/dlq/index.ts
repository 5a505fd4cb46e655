// The dead-letter topic read back and replayed (`tandem dlq list|show|replay`).
export * from './position';
export * from './read-topic';
export * from './replay';
export * from './format';
