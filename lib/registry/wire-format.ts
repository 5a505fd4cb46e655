// Confluent wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id (big-endian), then
// the Avro binary body. Apicurio's default id handler writes the same framing.
import { poison, type ErrorContext } from '../errors';

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

/** The schema id of a framed record; `poison` if the bytes are not Confluent-framed. */
export function schemaIdOf(buf: Buffer, what: string, context: ErrorContext): number {
  if (buf.length < HEADER_LENGTH) {
    throw poison(`${what} is ${buf.length} bytes, shorter than the 5-byte Confluent header`, {
      ...context,
      hint: 'the producer did not use the Confluent/Apicurio Avro serializer',
    });
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw poison(`${what} starts with byte ${buf[0]}, not the Confluent magic byte 0`, {
      ...context,
      hint: 'the producer did not use the Confluent/Apicurio Avro serializer (JSON converter? 8-byte ids?)',
    });
  }
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
