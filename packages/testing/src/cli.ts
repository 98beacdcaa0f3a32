#!/usr/bin/env node
/** `wecom-sim`: serve a simulated WeCom, send a callback, or diagnose a callback URL. */
import pkg from '../package.json' with { type: 'json' };
import { DOCTOR_USAGE, doctorCommand } from './cli/doctor-command.js';
import { type Env, type Output, processOutput, UsageError } from './cli/output.js';
import { SEND_USAGE, sendCommand } from './cli/send-command.js';
import { SERVE_USAGE, serveCommand } from './cli/serve-command.js';

const COMMANDS: Record<string, string> = { serve: SERVE_USAGE, send: SEND_USAGE, doctor: DOCTOR_USAGE };

const USAGE = `wecom-sim ${pkg.version}: a local WeCom for webhook tests (from @maven/wecom-testing)

usage: wecom-sim serve | send | doctor [options]     wecom-sim <command> --help     wecom-sim --version
  serve   a simulated WeCom API (gettoken, message/send, media, response_url…)
  send    one encrypted callback like WeCom sends, and the decrypted reply
  doctor  checks a callback URL (verification GET and a message POST) and names what is wrong`;

function usageOf(command: string | undefined): string {
  return command !== undefined && Object.hasOwn(COMMANDS, command) ? `usage: ${COMMANDS[command]}` : USAGE;
}

export async function main(
  argv: string[],
  io: Output = processOutput,
  signal?: AbortSignal,
  env: Env = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(pkg.version);
    return 0;
  }
  if (
    command !== undefined &&
    Object.hasOwn(COMMANDS, command) &&
    (rest.includes('--help') || rest.includes('-h'))
  ) {
    io.out(usageOf(command));
    return 0;
  }
  try {
    switch (command) {
      case 'serve': {
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        signal?.addEventListener('abort', stop, { once: true });
        try {
          return await serveCommand(rest, io, controller.signal, env);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }
      case 'send':
        return await sendCommand(rest, io, env);
      case 'doctor':
        return await doctorCommand(rest, io, env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(usageOf(command === 'help' ? rest[0] : undefined));
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\n${usageOf(command)}`);
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
