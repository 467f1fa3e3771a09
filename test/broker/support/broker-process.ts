/**
 * Runs the real broker server (`examples/broker-server.ts`, what `npm start` runs) as a child
 * process on 127.0.0.1, for tests that kill it (SIGKILL) or stop it (SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const serverEntry = fileURLToPath(new URL('../../../examples/broker-server.ts', import.meta.url));

export interface BrokerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

export async function startBrokerProcess(options: { dataDir: string; adminKey: string; args?: string[] }): Promise<BrokerProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', serverEntry, '--port', '0', '--host', '127.0.0.1', '--data', options.dataDir, '--schedulers', '1', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POSTBOX_ADMIN_KEY: options.adminKey, POSTBOX_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the broker did not start in 30 s:\n${out}`)), 30_000);
    const onData = () => {
      const m = /postbox listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the broker exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    url,
    child,
    exited,
    output: () => out,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
