// Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7), stored in an H2 file in the
// state dir so schema ids in Kafka stay resolvable across restarts.
import { join } from 'node:path';
import type { Component } from './component';
import type { StackConfig } from './config';
import type { StackArtifacts } from './fetch';
import { httpOk, javaService } from './java-service';

export function registryComponent(cfg: StackConfig, art: StackArtifacts): Component {
  const base = `http://${cfg.host}:${cfg.ports.registry}`;
  return javaService(cfg, {
    name: 'registry',
    address: `${base}/apis/ccompat/v7`,
    javaHome: cfg.versions.registryJavaHome,
    heap: '384m',
    startTimeoutMs: 120_000,
    extraJvm: (dir) => [
      `-Dquarkus.http.host=${cfg.host}`,
      `-Dquarkus.http.port=${cfg.ports.registry}`,
      `-Dquarkus.management.host=${cfg.host}`,
      `-Dquarkus.management.port=${cfg.ports.registryManagement}`,
      `-Dapicurio.datasource.url=jdbc:h2:file:${join(dir, 'h2', 'registry')}`,
    ],
    args: () => ['-jar', join(art.registryApp, 'quarkus-run.jar')],
    probe: () => httpOk(`${base}/apis/ccompat/v7/subjects`),
  });
}
