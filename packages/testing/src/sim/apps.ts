/** Registered self-built apps and the access tokens issued to them. */

import { checkKeys } from '@maven/wecom-core';
import { WeComConfigError } from '@maven/wecom-crypto';
import { randomCode } from '../random.js';
import { type ErrorBody, errorBody } from './errcodes.js';

export interface SimAppOptions {
  /** Label used in records. Default `app<N>`. */
  name?: string;
  corpId: string;
  corpSecret: string;
  agentId: number | string;
}

export interface SimApp {
  name: string;
  corpId: string;
  corpSecret: string;
  agentId: number;
}

interface IssuedToken {
  app: SimApp;
  expiresAt: number;
  revoked: boolean;
}

export type TokenCheck = { ok: true; app: SimApp } | { ok: false; error: ErrorBody };

export class AppRegistry {
  readonly apps: SimApp[] = [];
  readonly #tokens = new Map<string, IssuedToken>();

  constructor(
    apps: readonly SimAppOptions[],
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {
    for (const app of apps) this.add(app);
  }

  add(options: SimAppOptions): SimApp {
    checkKeys('apps[]', options, ['name', 'corpId', 'corpSecret', 'agentId']);
    for (const field of ['corpId', 'corpSecret'] as const) {
      if (typeof options[field] !== 'string' || options[field].length === 0) {
        throw new WeComConfigError(`apps[]: ${field} must be a non-empty string`);
      }
    }
    const agentId = Number(options.agentId);
    if (!Number.isSafeInteger(agentId) || agentId < 0)
      throw new WeComConfigError('apps[]: agentId must be an integer');
    const app: SimApp = {
      name: options.name ?? `app${this.apps.length + 1}`,
      corpId: options.corpId,
      corpSecret: options.corpSecret,
      agentId,
    };
    if (this.apps.some((a) => a.name === app.name))
      throw new WeComConfigError(`apps[]: duplicate name "${app.name}"`);
    if (this.apps.some((a) => a.corpId === app.corpId && a.corpSecret === app.corpSecret)) {
      throw new WeComConfigError(`apps[]: "${app.name}" repeats another app's corpId and secret`);
    }
    this.apps.push(app);
    return app;
  }

  /** gettoken: 41002/41004 for missing parameters, 40013 unknown corp, 40001 wrong secret. */
  issue(
    corpId: string | undefined,
    secret: string | undefined,
  ): { token: string; expiresIn: number; app: SimApp } | ErrorBody {
    if (!corpId) return errorBody('missingCorpId');
    if (!secret) return errorBody('missingSecret');
    const inCorp = this.apps.filter((a) => a.corpId === corpId);
    if (inCorp.length === 0) return errorBody('invalidCorpId');
    const app = inCorp.find((a) => a.corpSecret === secret);
    if (app === undefined) return errorBody('invalidSecret');
    const token = randomCode(48);
    this.#tokens.set(token, { app, expiresAt: this.now() + this.ttlSeconds * 1000, revoked: false });
    return { token, expiresIn: this.ttlSeconds, app };
  }

  /** 41001 missing, 40014 unknown or revoked, 42001 expired. */
  check(token: string | undefined): TokenCheck {
    if (!token) return { ok: false, error: errorBody('missingToken') };
    const issued = this.#tokens.get(token);
    if (issued === undefined || issued.revoked) return { ok: false, error: errorBody('invalidToken') };
    if (this.now() >= issued.expiresAt) return { ok: false, error: errorBody('tokenExpired') };
    return { ok: true, app: issued.app };
  }

  /** Which app a token belongs to, valid or not (for records). */
  owner(token: string | undefined): SimApp | undefined {
    return token === undefined ? undefined : this.#tokens.get(token)?.app;
  }

  /** Makes every issued token (of one app, or all) answer 42001 from now on. */
  expire(appName?: string): number {
    return this.#each(appName, (t) => {
      t.expiresAt = Math.min(t.expiresAt, this.now());
    });
  }

  /** Makes every issued token (of one app, or all) answer 40014, as when WeCom invalidates early. */
  revoke(appName?: string): number {
    return this.#each(appName, (t) => {
      t.revoked = true;
    });
  }

  #each(appName: string | undefined, action: (t: IssuedToken) => void): number {
    let n = 0;
    for (const t of this.#tokens.values()) {
      if (appName === undefined || t.app.name === appName) {
        action(t);
        n += 1;
      }
    }
    return n;
  }

  find(name: string): SimApp | undefined {
    return this.apps.find((a) => a.name === name);
  }
}
