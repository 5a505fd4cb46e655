import type { ChangeEvent, Row } from './change-event';

/**
 * One collision a stage resolved: two changes to the same row, of which `loser`'s row image does
 * not go on. Kept so an operator can see what lost (the optional audit topic, the test driver).
 */
export interface ConflictRecord {
  /** The node that resolved it. */
  stage: string;
  table: string;
  key: Row;
  winner: ChangeEvent;
  loser: ChangeEvent;
  /**
   * Set when two different rows claimed one value of this UNIQUE index (the sink resolved it):
   * `key` is then the loser's key, removed on both sides.
   */
  index?: string;
}
