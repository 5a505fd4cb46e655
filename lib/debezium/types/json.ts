import { Json } from '../../model';
import { wrongValue, type ColumnCodec } from './codec';

/** io.debezium.data.Json: the column's exact text; parsed only when someone asks. */
export const json: ColumnCodec = {
  decode: (raw) => new Json(raw as string),
  encode: (value) => {
    if (value instanceof Json) return value.text;
    if (typeof value === 'string') return value;
    throw wrongValue('a Json', value);
  },
};
