import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY_FILE, resolveAdminKey } from '../../../broker/server/admin-key.js';
import { parseServerConfig } from '../../../broker/server/config.js';

describe('server configuration', () => {
  it('has the defaults of SPEC §3', () => {
    const r = parseServerConfig([], {});
    expect(r).toEqual({
      ok: true,
      config: {
        port: 8080, host: '127.0.0.1', dataDir: './data', store: 'lmdb', redisUrl: null, schedulers: null,
        adminKey: null, tlsCert: null, tlsKey: null, defaultRatePerSec: null, maxPayloadBytes: 1048576,
      },
    });
  });

  it('takes each setting from its variable, and a flag beats its variable', () => {
    const env = { POSTBOX_PORT: '9001', POSTBOX_HOST: '0.0.0.0', POSTBOX_DATA_DIR: '/tmp/x', POSTBOX_STORE: 'memory', POSTBOX_SCHEDULERS: '2', POSTBOX_ADMIN_KEY: 'a'.repeat(20), POSTBOX_DEFAULT_RATE: '50', POSTBOX_MAX_PAYLOAD_BYTES: '2048' };
    const fromEnv = parseServerConfig([], env);
    expect(fromEnv.ok && fromEnv.config).toMatchObject({ port: 9001, host: '0.0.0.0', dataDir: '/tmp/x', store: 'memory', schedulers: 2, adminKey: 'a'.repeat(20), defaultRatePerSec: 50, maxPayloadBytes: 2048 });
    const flags = parseServerConfig(['--port', '9000', '--store', 'lmdb', '--data', './d', '--schedulers', '0'], env);
    expect(flags.ok && flags.config).toMatchObject({ port: 9000, store: 'lmdb', dataDir: './d', schedulers: 0, host: '0.0.0.0' });
  });

  it('names every bad setting, and where it came from', () => {
    const r = parseServerConfig(['--port', 'eighty', '--store', 'disk'], { POSTBOX_SCHEDULERS: '-1', POSTBOX_ADMIN_KEY: 'short' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('--port'),
        expect.stringContaining('POSTBOX_SCHEDULERS'),
        expect.stringContaining('--store: expected lmdb, memory or redis'),
        expect.stringContaining('at least 16'),
      ]),
    );
    expect(r.errors).toHaveLength(4);
  });

  it('refuses unknown flags and says what is not available yet', () => {
    expect(parseServerConfig(['--colour'], {}).ok).toBe(false);
    const redis = parseServerConfig(['--store', 'redis'], {});
    expect(!redis.ok && redis.errors[0]).toMatch(/Redis store is not available/);
    const tls = parseServerConfig(['--tls-cert', 'c.pem'], {});
    expect(!tls.ok && tls.errors[0]).toMatch(/TLS is not available/);
    expect(parseServerConfig(['--help'], {})).toEqual({ ok: false, errors: [], help: true });
  });
});

describe('the admin key', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'postbox-admin-'));
    dirs.push(d);
    return d;
  };

  it('is generated once, kept readable by the owner only, and found again', () => {
    const dir = join(tempDir(), 'data');
    const first = resolveAdminKey(null, dir, true);
    expect(first.source).toBe('generated');
    expect(readFileSync(join(dir, ADMIN_KEY_FILE), 'utf8').trim()).toBe(first.key);
    expect(statSync(join(dir, ADMIN_KEY_FILE)).mode & 0o077).toBe(0);
    expect(resolveAdminKey(null, dir, true)).toEqual({ key: first.key, source: 'file' });
  });

  it('prefers the configured key and saves nothing for a memory store', () => {
    const dir = tempDir();
    expect(resolveAdminKey('k'.repeat(20), dir, true)).toEqual({ key: 'k'.repeat(20), source: 'configured' });
    const a = resolveAdminKey(null, join(dir, 'none'), false);
    const b = resolveAdminKey(null, join(dir, 'none'), false);
    expect(a.key).not.toBe(b.key);
  });
});
