// Reads stack/versions.env, the one file where the local stack's versions are pinned.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StackVersions {
  kafka: string;
  scalaBinary: string;
  log4j: string;
  slf4j: string;
  debezium: string;
  apicurio: string;
  registryJavaHome: string;
  converter: string;
  groovy: string;
  dependencyPlugin: string;
  javaHome17: string;
}

export const repoRoot = join(__dirname, '..', '..');
export const versionsFile = join(repoRoot, 'stack', 'versions.env');

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${versionsFile}: expected KEY=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function loadVersions(file = versionsFile): StackVersions {
  const env = parseEnvFile(readFileSync(file, 'utf8'));
  const need = (key: string): string => {
    const v = env[key];
    if (!v) throw new Error(`${file}: ${key} is missing; add it (see the other pins there)`);
    return v;
  };
  return {
    kafka: need('KAFKA_VERSION'),
    scalaBinary: need('SCALA_BINARY'),
    log4j: need('LOG4J_VERSION'),
    slf4j: need('SLF4J_VERSION'),
    debezium: need('DEBEZIUM_VERSION'),
    apicurio: need('APICURIO_VERSION'),
    registryJavaHome: need('REGISTRY_JAVA_HOME'),
    converter: need('APICURIO_CONVERTER_VERSION'),
    groovy: need('GROOVY_VERSION'),
    dependencyPlugin: need('MAVEN_DEPENDENCY_PLUGIN'),
    javaHome17: need('JAVA_HOME_17'),
  };
}
