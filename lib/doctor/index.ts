// tandem doctor: a preflight of the two databases (and Kafka Connect) before syncing them. The
// CLI prints the findings (lib/cli/doctor.ts); `tandem run` stops on a refusal (preflight.ts).
// Every check and its reason: docs/doctor.md.
export { runDoctor, SERVER_CHECKS, TABLE_CHECKS, type DoctorOptions } from './run';
export { preflight, type PreflightOptions } from './preflight';
export { exitCode, countByLevel, ok, warning, refused, type Finding, type Level } from './finding';
export { formatFinding, formatFindings } from './format';
export type { SideFacts, ServerFacts, TableFacts } from './facts';
