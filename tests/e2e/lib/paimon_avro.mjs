// Reading Paimon's Avro metadata files (manifests, manifest lists) in tests:
// avsc with a zstandard codec (fzstd), as Paimon Java writes them.
//
// Exports:
//   readAvro(file) -> Promise<{ schema, codec, records }>
//     schema: the header's avro.schema string exactly as stored; codec: its
//     avro.codec; records: the decoded records.
import avro from 'avsc';
import { decompress } from 'fzstd';

const codecs = {
  zstandard: (buf, cb) => {
    try { cb(null, Buffer.from(decompress(buf))); } catch (e) { cb(e); }
  },
};

export function readAvro(file) {
  return new Promise((resolve, reject) => {
    const records = [];
    let header;
    avro.createFileDecoder(file, { codecs })
      .on('metadata', (type, codec, h) => { header = { schema: h.meta['avro.schema'].toString(), codec }; })
      .on('data', (r) => records.push(r))
      .on('error', reject)
      .on('end', () => resolve({ ...header, records }));
  });
}
