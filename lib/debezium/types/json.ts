import { Json } from '../../model';
import { wrongValue, type ColumnCodec } from './codec';

// Hot path: tsx/esbuild turn imported names into getter calls on every use, so the classes
// used per value are read once into module constants.
const JsonValue = Json;

/** io.debezium.data.Json: the column's exact text; parsed only when someone asks. */
export const json: ColumnCodec = {
  decode: (raw) => new JsonValue(raw as string),
  encode: (value) => {
    if (value instanceof Json) return value.text;
    if (typeof value === 'string') return value;
    throw wrongValue('a Json', value);
  },
};
