/** Injected faults, consumed in order per route. */

import { checkKeys } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import { normalizeKey } from './route-key.js';

export interface FaultSpec {
  /** Route: `gettoken`, `message/send`, `media/upload`, `media/get`, `aibot/response`, `media` (CDN), or `*`. */
  path: string;
  /** Answer 200 with `{errcode, errmsg}`. */
  errcode?: number;
  /** Default: WeCom's message for the code. */
  errmsg?: string;
  /** Answer with this HTTP status (e.g. 500, 502, 429) instead of 200. */
  status?: number;
  /** Wait this long before answering (or before handling normally, when nothing else is set). */
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Answer 200 with an HTML page instead of JSON (like a proxy error page). */
  nonJson?: boolean;
  /** How many calls this fault answers. Default 1. */
  times?: number;
}

export interface ActiveFault extends Omit<FaultSpec, 'times'> {
  key: string;
  remaining: number;
}

const KEYS = ['path', 'errcode', 'errmsg', 'status', 'delayMs', 'drop', 'nonJson', 'times'] as const;

export class FaultQueue {
  readonly #faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    checkKeys('inject', spec, KEYS);
    if (typeof spec.path !== 'string' || spec.path.length === 0)
      throw new WeComConfigError('inject: path is required');
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new WeComConfigError('inject: times must be a positive integer');
    if (
      spec.status !== undefined &&
      !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)
    ) {
      throw new WeComConfigError('inject: status must be an HTTP status code');
    }
    if (spec.delayMs !== undefined && !(spec.delayMs >= 0))
      throw new WeComConfigError('inject: delayMs must be ≥ 0');
    if (spec.errcode !== undefined && !Number.isInteger(spec.errcode)) {
      throw new WeComConfigError('inject: errcode must be an integer');
    }
    const { times: _times, ...rest } = spec;
    this.#faults.push({ ...rest, key: normalizeKey(spec.path), remaining: times });
  }

  /** Takes the next fault for `key`, if any. */
  take(key: string): ActiveFault | undefined {
    const index = this.#faults.findIndex((f) => f.key === key || f.key === '*');
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  clear(): void {
    this.#faults.length = 0;
  }

  get pending(): number {
    return this.#faults.reduce((sum, f) => sum + f.remaining, 0);
  }
}
