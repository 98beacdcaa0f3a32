import type { WeComHandler } from '../../packages/core/src/index.ts';

export interface HonoFetchApp {
  fetch(request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response>;
}

export function createHonoApp(handlers: readonly WeComHandler[]): HonoFetchApp;
