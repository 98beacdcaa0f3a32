/**
 * The process lifecycle both reference gateways share: print the ready line tests wait for, serve
 * until SIGTERM/SIGINT, drain (close the handler, then the server), and let a second signal exit
 * at once. Only Node globals here, so it needs no package of its own.
 */

export interface Gateway {
  url: string;
  /** Drains in-flight replies, then closes the server. */
  close(): Promise<void>;
}

export interface InfoLog {
  info(message: string, fields?: Record<string, unknown>): void;
}

/** Serves until a signal, then drains; resolves with the exit code (0). */
export async function serveUntilSignal(
  gateway: Gateway,
  log: InfoLog,
  fail: (message: string) => void,
): Promise<number> {
  // The handlers go in before the ready line: whoever reads that line may signal at once, and a
  // signal that arrives before a listener exists takes the default action (the process dies).
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.stdout.write(`listening on ${gateway.url}\n`);
  const received = await signal;
  log.info('shutting down', { signal: received });
  process.once(received, () => {
    fail('second signal: exiting without draining');
    process.exit(1);
  });
  await gateway.close();
  log.info('stopped');
  return 0;
}

/** Runs `main` and turns its result (or a crash) into the process exit code. */
export function runMain(main: () => Promise<number>, fail: (message: string) => void): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      fail(`fatal: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
