// The local stack (Kafka, Apicurio registry, Kafka Connect + Debezium, MariaDB a and b) as a library:
// what `tsx lib/stack/cli.ts up|down|status|env` uses, for scripts, benches and tests.
export { loadStackConfig, clientEnv, portVars, type StackConfig, type StackPorts } from './config';
export { loadVersions, type StackVersions } from './versions';
export { stackUp, stackDown, stackStatus, stackComponents, freePortEnv, rssKiB, restartComponent, ensureConnectorsRunning, connectorStates, type StatusLine, type StackComponents, type ComponentName } from './stack';
export { ComponentError, type Component } from './component';
export { ensureArtifacts, type StackArtifacts } from './fetch';
export { sourceConnectorConfig, sourceConnectorName, registerSourceConnector, echoFilter } from './connect';
export { findRecord, brokerMetadata, type RawRecord } from './kafka-client';
export { readWireHeader, schemaById, checkWireFormat, type WireFormat } from './wire-check';
export { startMariaDb, type MariaDb, type MariaDbOptions } from './mariadb';
export { dbRootSocket } from './databases';
