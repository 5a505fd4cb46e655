import t from 'tap';
import { stateFrom, transientCause } from '../../../lib/connect';

// What Connect 4.3 reported for a MariaDB source task whose Apicurio 2.6 converter had to register
// a schema while the registry was stopped (frames trimmed).
const registryDown = [
  'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler',
  '\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError(RetryWithToleranceOperator.java:259)',
  '\tat org.apache.kafka.connect.runtime.AbstractWorkerSourceTask.convertTransformedRecord(AbstractWorkerSourceTask.java:505)',
  'Caused by: io.apicurio.registry.rest.client.exception.RestClientException',
  '\tat io.apicurio.registry.rest.client.impl.ErrorHandler.parseError(ErrorHandler.java:95)',
  '\tat io.apicurio.rest.client.JdkHttpClient.sendRequest(JdkHttpClient.java:207)',
  '\tat io.apicurio.registry.rest.client.impl.RegistryClientImpl.createArtifact(RegistryClientImpl.java:311)',
  '\t... 13 more',
].join('\n');

// The registry answered, with an error of its own: an operator's matter.
const registryRefused = registryDown.replace('RestClientException\n', 'RestClientException: Incompatible artifact: a-value [BACKWARD]\n');

const binlogGone = [
  'org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer.',
  'Caused by: io.debezium.DebeziumException: The connector is trying to read change stream starting at X, but this is no longer available on the server.',
  '\tat io.debezium.connector.common.BaseSourceTask.validateSchemaHistory(BaseSourceTask.java:160)',
].join('\n');

const confluentRefused = [
  'org.apache.kafka.connect.errors.DataException: Failed to serialize Avro data from topic a.chat.rooms',
  '\tat io.confluent.connect.avro.AvroConverter.fromConnectData(AvroConverter.java:107)',
  'Caused by: java.net.ConnectException: Connection refused',
  '\tat java.base/sun.nio.ch.Net.connect0(Native Method)',
  '\tat io.confluent.kafka.schemaregistry.client.rest.RestService.sendHttpRequest(RestService.java:268)',
].join('\n');

const task = (trace: string) => stateFrom('src-a', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace }] }, { 'topic.prefix': 'a' });

t.test('a task failed because the registry did not answer is a transient failure; the registry answering with an error is not', async (t) => {
  t.equal(transientCause(task(registryDown)), 'the schema registry did not answer');
  t.equal(transientCause(task(confluentRefused)), 'the schema registry did not answer', "Confluent's converter, connection refused");
  t.equal(transientCause(task(registryRefused)), undefined);
  t.equal(transientCause(task(binlogGone)), undefined, 'binlog purged: the operator fixes it');
  t.equal(transientCause(stateFrom('src-a', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] })), undefined, 'nothing failed');
  // A database that refused the connection is Debezium's to retry (custom.retriable.exception), not a registry outage.
  t.equal(transientCause(task('Caused by: java.net.ConnectException: Connection refused\n\tat com.mysql.cj.jdbc.ConnectionImpl.connect(ConnectionImpl.java:1)')), undefined);
});

t.test('every failed part must be transient: a connector failed for a cause of its own is not restarted', async (t) => {
  const both = stateFrom('src-a', { connector: { state: 'FAILED', trace: binlogGone }, tasks: [{ id: 0, state: 'FAILED', trace: registryDown }] });
  t.equal(transientCause(both), undefined);
  const tasks = stateFrom('src-a', { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace: registryDown }, { id: 1, state: 'RUNNING' }] });
  t.equal(transientCause(tasks), 'the schema registry did not answer');
});
