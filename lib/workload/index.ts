// Randomized, seeded, application-style writes on both masters at once, and the evidence the
// convergence tests read from Kafka (how many changes crossed, and that none looped).
export { Random, newSeed } from './random';
export { nextOperation, seedRoomsSql, type KeySpace, type Operation, type OpKind } from './operations';
export { runWorkload, seedWorkload, formatWorkload, defaultKeys, type WorkloadOptions, type WorkloadStats } from './runner';
export { topicOffsets, countCrossings, recordsBetween, type Offsets, type Crossings, type SideCount } from './crossings';
export { TopologyProcess } from './topology-process';
export { faultsByName, sigkillTopology, poisonRecord, addColumnOnA, demoSchemaChanges, schemaChange, restart, outage, poisonKey, poisonTopic, addedColumn, type Fault, type FaultContext, type Injected } from './faults';
export { checkAfterFault, faultCheckOk, rowsCross, waitAllRunning, type FaultCheck } from './fault-check';
export { runConvergence, summarize, pipelineEnv, type PipelineEnv, type ConvergenceOptions, type ConvergenceResult, type FaultResult } from './convergence';
