// Apache Kafka in KRaft mode: one node that is broker and controller, data in the state dir.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component';
import type { StackConfig } from './config';
import type { StackArtifacts } from './fetch';
import { javaService } from './java-service';
import { brokerMetadata } from './kafka-client';
import { MAX_BATCH_BYTES, MAX_REQUEST_BYTES } from './limits';

export function serverProperties(cfg: StackConfig, dataDir: string): string {
  const { host, ports } = cfg;
  // Static voters (not --standalone): the controller address lives in config, so a restart on
  // other ports (TANDEM_KAFKA_*_PORT) finds its quorum again.
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${ports.controller}`,
    `listeners=PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.controller}`,
    `advertised.listeners=PLAINTEXT://${host}:${ports.kafka}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    // Rows up to MariaDB's max_allowed_packet (lib/stack/limits.ts). Topics created without their
    // own max.message.bytes (auto-created row topics, Debezium's schema history, tandem.dlq) take
    // message.max.bytes as theirs. A produce request larger than socket.request.max.bytes (100 MB
    // by default) is dropped with the connection, whatever message.max.bytes says.
    `message.max.bytes=${MAX_BATCH_BYTES}`,
    `replica.fetch.max.bytes=${MAX_BATCH_BYTES}`,
    `socket.request.max.bytes=${MAX_REQUEST_BYTES}`,
    '',
  ].join('\n');
}

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64 without padding. One that starts with
 * `-` would be read as an option by the storage tool ("--cluster-id: expected one argument",
 * one stack-up in 64): Kafka's own Uuid.randomUuid draws again then too.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaComponent(cfg: StackConfig, art: StackArtifacts): Component {
  const brokers = `${cfg.host}:${cfg.ports.kafka}`;
  const java = cfg.versions.javaHome17;
  const classpath = `${art.kafkaLib}/*`;
  return javaService(cfg, {
    name: 'kafka',
    address: brokers,
    javaHome: java,
    // A produce request of MAX_REQUEST_BYTES is read into the heap whole, one per connector at once.
    heap: '768m',
    startTimeoutMs: 90_000,
    prepare(dir) {
      const props = join(dir, 'server.properties');
      const data = join(dir, 'data');
      writeFileSync(props, serverProperties(cfg, data));
      if (existsSync(join(data, 'meta.properties'))) return;
      const clusterId = newClusterId();
      const res = spawnSync(join(java, 'bin', 'java'), ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], {
        encoding: 'utf8',
      });
      if (res.status !== 0) throw new Error(`formatting Kafka storage in ${data} failed: ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    },
    args: (dir) => ['-cp', classpath, 'kafka.Kafka', join(dir, 'server.properties')],
    probe: async () => (await brokerMetadata(brokers, 2000)) > 0,
  });
}
