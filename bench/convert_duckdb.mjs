// DuckDB's side of bench/convert.sh: NDJSON -> Parquet (zstd) with one thread.
// Usage: node bench/convert_duckdb.mjs INPUT.ndjson OUTPUT.parquet
// Prints one line: "duckdb_seconds <wall s> rows <n> cpu_seconds <user+sys s>".
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The peers are installed under tests/node_modules (scripts/setup.sh).
const require = createRequire(new URL('../tests/package.json', import.meta.url));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const [input, output] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
const conn = await db.connect();
await conn.run('SET threads=1');
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
await conn.run(`COPY (SELECT * FROM read_json('${input}', format='newline_delimited'))
  TO '${output}' (FORMAT parquet, COMPRESSION zstd)`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const rows = (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${output}')`)).getRowsJson()[0][0];
console.log(`duckdb_seconds ${seconds.toFixed(3)} rows ${rows} cpu_seconds ${cpuSeconds.toFixed(3)}`);
