/** The name Kafka's outage is known by (lib/observe/outages.ts): the consumer reports it, readiness reads it. */
export const KAFKA_PART = 'Kafka';
