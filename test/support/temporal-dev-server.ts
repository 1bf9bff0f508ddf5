/** Starts a throwaway Temporal dev server (in memory, headless) from the project's pinned CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export function temporalBinary(): string {
  const bin =
    process.env.TEMPORAL_BIN ?? path.join(PROJECT_ROOT, '.kasal/tools/temporal/bin/temporal');
  if (!existsSync(bin)) {
    throw new Error(
      `Temporal CLI not found at ${bin}: run the tests with 'npm test', which installs it`,
    );
  }
  return bin;
}

/**
 * A free port below Linux's ephemeral range (32768+), so it cannot be taken in the meantime by
 * a port some process asks the OS for (the Temporal dev server picks several that way).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(
  extraArgs: string[] = [],
  port?: number,
): Promise<DevServer> {
  port ??= await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    temporalBinary(),
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'error',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not start on ${address}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    address,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
