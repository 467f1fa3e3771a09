import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('crash isolation', () => {
  it('crash isolation - a stray rejected promise in actor code does not take the thread down', async () => {
    const script = fileURLToPath(new URL('../fixtures/stray-rejection.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
      timeout: 20_000,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    // The process exited 0 by itself (shutdown left nothing running) and the survivor answered.
    expect(stdout.trim()).toBe('alive');
  });
});
