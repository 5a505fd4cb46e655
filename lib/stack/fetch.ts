// Brings the stack's Java artifacts from Maven Central into ~/.cache/tandem (through ~/.m2), once.
// Maven verifies every download against the repository's checksums; `-C` (strict) makes a mismatch
// fail the fetch instead of warning. A `.complete` marker makes the warm path a few stat calls.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config';
import { repoRoot } from './versions';
import { tailFile } from './processes';

export interface StackArtifacts {
  /** Broker, tools, Connect runtime and log4j: one classpath dir. */
  kafkaLib: string;
  /** Apicurio Registry's Quarkus app dir (holds quarkus-run.jar). */
  registryApp: string;
  /** Connect `plugin.path`: one sub-dir per Debezium plugin, each with the Avro converter inside. */
  pluginPath: string;
}

const stackPom = join(repoRoot, 'stack', 'pom.xml');
const converterPom = join(repoRoot, 'stack', 'converter', 'pom.xml');
const scriptingPom = join(repoRoot, 'stack', 'scripting', 'pom.xml');

export function artifactDirs(cfg: StackConfig): StackArtifacts & { kafkaRoot: string; registryRoot: string; pluginRoot: string } {
  const v = cfg.versions;
  const kafkaRoot = join(cfg.cacheDir, `kafka-${v.kafka}-log4j-${v.log4j}-slf4j-${v.slf4j}`);
  const registryRoot = join(cfg.cacheDir, `apicurio-registry-${v.apicurio}`);
  const pluginRoot = join(cfg.cacheDir, `connect-plugins-debezium-${v.debezium}-apicurio-${v.converter}`);
  const registryApp = existsSync(join(registryRoot, 'quarkus-app', 'quarkus-run.jar')) ? join(registryRoot, 'quarkus-app') : registryRoot;
  return { kafkaRoot, registryRoot, pluginRoot, kafkaLib: join(kafkaRoot, 'lib'), registryApp, pluginPath: pluginRoot };
}

function mvn(what: string, args: string[], logFile: string, javaHome: string): void {
  const started = Date.now();
  process.stdout.write(`  fetching ${what} with Maven (log: ${logFile}) ...\n`);
  mkdirSync(join(logFile, '..'), { recursive: true });
  const res = spawnSync('mvn', ['-B', '-C', '-ntp', ...args], {
    encoding: 'utf8',
    env: { ...process.env, JAVA_HOME: javaHome },
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(logFile, `$ mvn ${args.join(' ')}\n${res.stdout ?? ''}${res.stderr ?? ''}`, { flag: 'a' });
  if (res.error) throw new Error(`fetching ${what}: could not run mvn (${res.error.message}); install Maven (apt-get install maven)`);
  if (res.status !== 0) {
    const errors = tailFile(logFile, 400).split('\n').filter((l) => l.includes('[ERROR]')).slice(0, 6).join('\n');
    throw new Error(`fetching ${what} failed (mvn exit ${res.status}); see ${logFile}:\n${errors || tailFile(logFile)}`);
  }
  process.stdout.write(`  fetched ${what} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

async function once(dir: string, build: (tmp: string) => void | Promise<void>): Promise<void> {
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build(dir);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}

const MAVEN_CENTRAL = 'https://repo.maven.apache.org/maven2';

/** Downloads a file of Maven Central and checks it against the SHA-1 Central publishes beside it. */
async function downloadVerified(url: string, dest: string): Promise<void> {
  process.stdout.write(`  fetching ${url} ...\n`);
  const get = async (u: string): Promise<Buffer> => {
    const res = await fetch(u, { signal: AbortSignal.timeout(300_000) });
    if (!res.ok) throw new Error(`fetching ${u}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  const [body, sha1] = await Promise.all([get(url), get(`${url}.sha1`)]);
  const want = sha1.toString('utf8').trim().split(/\s+/)[0].toLowerCase();
  const got = createHash('sha1').update(body).digest('hex');
  if (got !== want) throw new Error(`fetching ${url}: SHA-1 ${got} is not the published ${want}`);
  writeFileSync(dest, body);
}

export async function ensureArtifacts(cfg: StackConfig): Promise<StackArtifacts> {
  const v = cfg.versions;
  const dirs = artifactDirs(cfg);
  const logDir = join(cfg.cacheDir, 'fetch-logs');
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${v.dependencyPlugin}`;
  const jdk = v.javaHome17;

  await once(dirs.kafkaRoot, (root) =>
    mvn(
      `Kafka ${v.kafka} (broker, tools, Connect runtime)`,
      ['-f', stackPom, `${plugin}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${join(root, 'lib')}`,
        `-Dkafka.version=${v.kafka}`, `-Dscala.binary=${v.scalaBinary}`, `-Dlog4j.version=${v.log4j}`, `-Dslf4j.version=${v.slf4j}`],
      join(logDir, `kafka-${v.kafka}.log`),
      jdk,
    ),
  );

  await once(dirs.registryRoot, (root) =>
    mvn(
      `Apicurio Registry ${v.apicurio}`,
      ['-f', stackPom, `${plugin}:unpack`, `-Dartifact=io.apicurio:apicurio-registry-app:${v.apicurio}:tar.gz:all`, `-DoutputDirectory=${root}`],
      join(logDir, `apicurio-registry-${v.apicurio}.log`),
      jdk,
    ),
  );

  await once(dirs.pluginRoot, (root) => {
    const converterDir = join(root, '.converter');
    for (const name of ['debezium-connector-mariadb', 'debezium-connector-jdbc']) {
      mvn(
        `Debezium ${name} ${v.debezium}`,
        ['-f', stackPom, `${plugin}:unpack`, `-Dartifact=io.debezium:${name}:${v.debezium}:tar.gz:plugin`, `-DoutputDirectory=${root}`],
        join(logDir, `${name}-${v.debezium}.log`),
        jdk,
      );
    }
    mvn(
      `Apicurio AvroConverter ${v.converter}`,
      ['-f', converterPom, `${plugin}:copy-dependencies`, '-DincludeScope=runtime', '-DexcludeGroupIds=org.apache.kafka,org.slf4j',
        `-Dapicurio.converter.version=${v.converter}`, `-DoutputDirectory=${converterDir}`],
      join(logDir, `apicurio-converter-${v.converter}.log`),
      jdk,
    );
    // Connect isolates each plugin dir, so the converter must sit beside each connector's jars.
    for (const name of ['debezium-connector-mariadb', 'debezium-connector-jdbc']) {
      for (const jar of readdirSync(converterDir)) copyFileSync(join(converterDir, jar), join(root, name, jar));
    }
    rmSync(converterDir, { recursive: true, force: true });
  });
  // Debezium's Filter SMT with Groovy, beside the MariaDB connector (Connect isolates each plugin
  // dir): the source connectors drop Tandem's own writes (connect.ts, echoFilter). Also added to a
  // plugin dir unpacked before this rule.
  const scriptingDir = join(cfg.cacheDir, `debezium-scripting-${v.debezium}-groovy-${v.groovy}`);
  await once(scriptingDir, async (root) => {
    mvn(
      `Groovy ${v.groovy} (JSR 223)`,
      ['-f', scriptingPom, `${plugin}:copy-dependencies`, '-DincludeScope=runtime', '-DexcludeTransitive=true',
        `-Dgroovy.version=${v.groovy}`, `-DoutputDirectory=${root}`],
      join(logDir, `groovy-${v.groovy}.log`),
      jdk,
    );
    // Maven cannot resolve this one: its parent pom (debezium-scripting-parent) is not on Maven
    // Central, so Maven refuses the jar's descriptor. The jar itself is, with its checksum.
    const jar = `debezium-scripting-${v.debezium}.jar`;
    await downloadVerified(`${MAVEN_CENTRAL}/io/debezium/debezium-scripting/${v.debezium}/${jar}`, join(root, jar));
  });
  const mariadbDir = join(dirs.pluginRoot, 'debezium-connector-mariadb');
  for (const jar of readdirSync(scriptingDir)) {
    if (jar.endsWith('.jar') && !existsSync(join(mariadbDir, jar))) copyFileSync(join(scriptingDir, jar), join(mariadbDir, jar));
  }
  // The JDBC sink (Hibernate) must see Kafka's own Jackson: with the converter's older copy in its
  // plugin dir, Hibernate's module scan finds Kafka's BlackbirdModule and fails ("not a subtype").
  // Also cleans caches unpacked before this rule.
  const jdbcDir = join(dirs.pluginRoot, 'debezium-connector-jdbc');
  if (existsSync(jdbcDir)) for (const jar of readdirSync(jdbcDir)) if (jar.startsWith('jackson-')) rmSync(join(jdbcDir, jar), { force: true });

  if (!existsSync(join(artifactDirs(cfg).registryApp, 'quarkus-run.jar'))) {
    throw new Error(`Apicurio Registry in ${dirs.registryRoot} has no quarkus-run.jar; delete that dir and run stack-up again`);
  }
  const done = artifactDirs(cfg);
  return { kafkaLib: done.kafkaLib, registryApp: done.registryApp, pluginPath: done.pluginPath };
}
