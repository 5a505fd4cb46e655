// The DSL builds a plain graph (stages, and sinks as descriptions); it runs nothing and does no I/O.
export * from './stage';
export * from './topology';
export * from './builder';
export * from './describe';
export * from './define';
export * from './sink-description';
