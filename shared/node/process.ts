/** Runs an entry point: fails fast on bad configuration and shuts down cleanly on signals. */
import { ConfigError } from './config';

export type Shutdown = () => Promise<void>;

export function runMain(name: string, main: () => Promise<Shutdown>): void {
  main().then(
    (shutdown) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`[${name}] ${signal}: shutting down\n`);
        shutdown().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`[${name}] shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      const message = error instanceof ConfigError ? error.message : (error as Error).stack;
      process.stderr.write(`[${name}] failed to start: ${message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
