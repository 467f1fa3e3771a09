/** The examples in examples/ run to completion and exit by themselves (STYLE.md: examples run in CI). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('examples', () => {
  it.each(['examples/hello.ts', 'examples/supervision-tree.ts'])('examples - %s runs and exits 0 by itself', async (file) => {
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, POSTBOX_LOG_LEVEL: 'silent' },
    });
    expect(stdout.length).toBeGreaterThan(0);
  });
});
