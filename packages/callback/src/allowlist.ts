/**
 * Who may talk to the apps. Matched on the scoped identity: an entry is a bare `userId` (that user
 * in any configured app), `corpId:userId` (that corp only) or `corpId:agentId:userId` (one app).
 * User ids compare case-insensitively (WeCom user ids are case-insensitive); corp ids exactly.
 *
 * Default when the router gets no `allow` option: everyone who can see the app (its visible range
 * in the admin console is the first gate). `allowlistFromEnv` follows the reference adapter:
 * nothing set means nobody.
 */
import { checkKeys, WeComConfigError } from '@maven/wecom-core';

export interface AllowPolicy {
  /** Allowed users; `'*'` allows everyone. An empty list allows nobody (unless allowAll). */
  users?: readonly string[];
  /** Allows everyone. */
  allowAll?: boolean;
}

export interface Identity {
  corpId: string;
  agentId: number;
  userId: string;
}

export type AllowCheck = (identity: Identity) => boolean;

export const ALLOW_EVERYONE: AllowPolicy = Object.freeze({ allowAll: true });

/** Compiles a policy into a matcher; validates it eagerly. */
export function compileAllowlist(allowFrom: readonly string[] | AllowPolicy | undefined): AllowCheck {
  if (allowFrom === undefined) return () => true;
  const policy: AllowPolicy = Array.isArray(allowFrom)
    ? { users: allowFrom as string[] }
    : (allowFrom as AllowPolicy);
  checkKeys('allowFrom', policy, ['users', 'allowAll']);
  if (policy.allowAll !== undefined && typeof policy.allowAll !== 'boolean') {
    throw new WeComConfigError('allowFrom: allowAll must be a boolean');
  }
  const users = policy.users ?? [];
  if (!Array.isArray(users) || users.some((u) => typeof u !== 'string')) {
    throw new WeComConfigError('allowFrom: users must be an array of strings');
  }
  const entries = users.map((u) => u.trim()).filter((u) => u.length > 0);
  if (policy.allowAll === true || entries.includes('*')) return () => true;
  const bare = new Set<string>();
  const scoped = new Set<string>();
  for (const entry of entries) {
    const parts = entry.split(':');
    if (parts.length > 3 || parts.some((p: string) => p.length === 0)) {
      throw new WeComConfigError('allowFrom: entries must be userId, corpId:userId or corpId:agentId:userId');
    }
    if (parts.length === 3 && !/^\d+$/.test(parts[1]!)) {
      throw new WeComConfigError('allowFrom: in corpId:agentId:userId the agentId must be an integer');
    }
    const user = parts[parts.length - 1]!.toLowerCase();
    if (parts.length === 1) bare.add(user);
    else scoped.add([...parts.slice(0, -1), user].join(':'));
  }
  return ({ corpId, agentId, userId }) => {
    const user = userId.toLowerCase();
    return bare.has(user) || scoped.has(`${corpId}:${user}`) || scoped.has(`${corpId}:${agentId}:${user}`);
  };
}

export interface AllowlistFromEnvOptions {
  /** What to return when neither variable is set. Default `'deny'` (the reference adapter's behaviour). */
  whenUnset?: 'deny' | 'allow';
}

const TRUE = new Set(['true', '1', 'yes']);

/**
 * Reads `WECOM_CALLBACK_ALLOWED_USERS` (comma list, `*` = all) and `WECOM_CALLBACK_ALLOW_ALL_USERS`
 * (`true`/`1`/`yes`). Pass `process.env` (or any record) explicitly: this package reads no globals.
 */
export function allowlistFromEnv(
  env: Record<string, string | undefined>,
  options: AllowlistFromEnvOptions = {},
): AllowPolicy {
  checkKeys('allowlistFromEnv', options, ['whenUnset']);
  const whenUnset = options.whenUnset ?? 'deny';
  if (whenUnset !== 'deny' && whenUnset !== 'allow') {
    throw new WeComConfigError("allowlistFromEnv: whenUnset must be 'deny' or 'allow'");
  }
  const all = env.WECOM_CALLBACK_ALLOW_ALL_USERS?.trim().toLowerCase();
  const list = env.WECOM_CALLBACK_ALLOWED_USERS;
  if (all !== undefined && TRUE.has(all)) return { allowAll: true };
  if (list !== undefined && list.trim().length > 0) {
    const users = list
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0);
    return users.includes('*') ? { allowAll: true } : { users };
  }
  return whenUnset === 'allow' ? { allowAll: true } : { users: [] };
}
