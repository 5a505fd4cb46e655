// Runs a built topology one batch at a time, with live sinks made from its sink descriptions;
// the runtime and the test driver share it, so the driver runs exactly what the runtime runs.
export * from './executor';
