// Confluent wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id (big-endian), then
// the Avro binary body. Apicurio's default id handler writes the same framing.
import { poison, type ErrorContext } from '../errors';

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

/** Why `buf` is not Confluent-framed, or undefined when it is. */
export function wireFormatProblem(buf: Buffer, what: string): string | undefined {
  if (buf.length < HEADER_LENGTH) {
    return `${what} is ${buf.length} bytes, shorter than the 5-byte Confluent header (not written by an Avro converter)`;
  }
  if (buf[0] !== MAGIC_BYTE) {
    return `${what} starts with byte ${buf[0]}, not the Confluent magic byte 0 (JSON converter? 8-byte schema ids?)`;
  }
  return undefined;
}

/** The schema id of a framed record; `poison` if the bytes are not Confluent-framed. */
export function schemaIdOf(buf: Buffer, what: string, context: ErrorContext = {}): number {
  const problem = wireFormatProblem(buf, what);
  if (problem) throw poison(problem, context);
  return buf.readUInt32BE(1);
}

/** Frames an Avro body with its schema id. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
}
