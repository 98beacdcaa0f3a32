#!/usr/bin/env node
/** `wecom-sim`: serve a simulated WeCom, send a callback, or diagnose a callback URL. */
import { DOCTOR_USAGE, doctorCommand } from './cli/doctor-command.js';
import { type Output, processOutput, UsageError } from './cli/output.js';
import { SEND_USAGE, sendCommand } from './cli/send-command.js';
import { SERVE_USAGE, serveCommand } from './cli/serve-command.js';

const USAGE = `usage:
${SERVE_USAGE}

${SEND_USAGE}

${DOCTOR_USAGE}`;

export async function main(
  argv: string[],
  io: Output = processOutput,
  signal?: AbortSignal,
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve': {
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        signal?.addEventListener('abort', stop, { once: true });
        try {
          return await serveCommand(rest, io, controller.signal);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }
      case 'send':
        return await sendCommand(rest, io);
      case 'doctor':
        return await doctorCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    // Our errors never carry secrets; print only the message.
    io.err(`wecom-sim: ${(error as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`wecom-sim: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
