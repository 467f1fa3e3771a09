/**
 * The admin key when none is configured (SPEC §3): generated at the first start, kept in the
 * data directory (readable by the owner only) and printed once, so a restart keeps working
 * with the key the operator already has.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_KEY_FILE = 'admin.key';

export type AdminKey = { readonly key: string; readonly source: 'configured' | 'file' | 'generated' };

/** The configured key, else the one saved in `dataDir`, else a new one saved there (`persist`)
 * or only for this run (memory store). */
export function resolveAdminKey(configured: string | null, dataDir: string, persist: boolean): AdminKey {
  if (configured !== null) return { key: configured, source: 'configured' };
  const file = join(dataDir, ADMIN_KEY_FILE);
  if (persist) {
    try {
      const saved = readFileSync(file, 'utf8').trim();
      if (saved.length > 0) return { key: saved, source: 'file' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const key = `pbx_admin_${randomBytes(24).toString('base64url')}`;
  if (persist) {
    mkdirSync(dataDir, { recursive: true });
    // 'wx': never overwrite a key another process wrote meanwhile.
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { key, source: 'generated' };
}
