// A newcomer follows the README: its run command, taken from README.md itself,
// must reach a running demo job with committed rows in an Iceberg table.
// (--check makes the same command exit once rows are committed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('the README run command reaches a running job with rows in its table', () => {
  const root = process.env.LAKESYNC_SOURCE_DIR;
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = readme.match(/^ {4}(scripts\/demo\.sh)\s*$/m);
  assert.ok(match, 'README.md names scripts/demo.sh as its run command');
  const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakesync-demo-'));
  try {
    const out = execFileSync('bash', ['-c', `${match[1]} --check`], {
      cwd: root,
      env: { ...process.env, LAKESYNC_LISTEN: '127.0.0.1:0', LAKESYNC_DEMO_DIR: demoDir },
      encoding: 'utf8',
      timeout: 300000,
    });
    const rows = Number(out.match(/check passed \((\d+) rows committed\)/)?.[1] ?? 0);
    assert.ok(rows > 0, out);
    const table = path.join(demoDir, 'state/warehouse/demo.db/events/metadata/version-hint.text');
    assert.ok(fs.existsSync(table), 'the Iceberg table has a version hint');
  } finally {
    fs.rmSync(demoDir, { recursive: true, force: true });
  }
});
