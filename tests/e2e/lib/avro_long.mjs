// avsc reads Avro longs as JavaScript numbers, which lose precision past
// 2^53 (Iceberg snapshot ids are random 63-bit values): this type reads
// them as BigInt. Register it with avro.Type.forSchema(s, {registry: {long: longType}}).
import avro from 'avsc';

export const longType = avro.types.LongType.__with({
  fromBuffer: (b) => b.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
