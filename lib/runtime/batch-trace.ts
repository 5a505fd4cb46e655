// The debug line of one finished batch (TANDEM_LOG_LEVEL=debug): which records it held and when
// each phase ended, on the wall clock. A slow row's offset then says where its time went: in Kafka
// and the consume loop (record timestamp to dispatch), in Tandem (lane wait, decoding, stages) or in
// the sinks (connection turn and transactions). make bench-lag reads these lines.
import { offsetRanges } from '../model';
import type { LogFields } from '../observe';
import type { BatchTimeline } from '../observe/runtime-monitor';
import type { ConsumedRecord } from './ports';

const r2 = (x: number) => Math.round(x * 100) / 100;

export function batchTraceFields(direction: string | null, records: readonly ConsumedRecord[], timeline: BatchTimeline, finishedAtMs: number): LogFields {
  let oldest = Infinity;
  let newest = 0;
  for (const r of records) {
    if (r.timestamp > 0 && r.timestamp < oldest) oldest = r.timestamp;
    if (r.timestamp > newest) newest = r.timestamp;
  }
  const spentMs = timeline.laneWaitMs + timeline.decodeWaitMs + timeline.stagesMs + timeline.sinkMs + timeline.publishMs;
  return {
    direction,
    records: records.length,
    offsets: offsetRanges(records),
    ...(newest > 0 ? { oldestRecordMs: oldest, newestRecordMs: newest } : {}),
    dispatchedAtMs: r2(finishedAtMs - spentMs),
    ms: { laneWait: r2(timeline.laneWaitMs), decodeWait: r2(timeline.decodeWaitMs), stages: r2(timeline.stagesMs), sink: r2(timeline.sinkMs), publish: r2(timeline.publishMs) },
    finishedAtMs: r2(finishedAtMs),
  };
}
