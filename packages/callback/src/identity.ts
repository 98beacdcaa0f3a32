/**
 * User identity scoped to the app that received the user: `corpId:agentId:userId`. The reference
 * adapter's `corpId:userId` form and bare user ids are parsed too; resolving them to an app is only
 * allowed when exactly one configured app fits (see CallbackRouter.resolve).
 */
import { WeComTargetError } from './errors.js';

export type ParsedChatId =
  | { kind: 'app'; corpId: string; agentId: number; userId: string }
  | { kind: 'corp'; corpId: string; userId: string }
  | { kind: 'user'; userId: string };

function part(name: string, value: string): string {
  if (value.length === 0 || value.includes(':') || /\s/.test(value)) {
    throw new WeComTargetError('invalid_chat_id', `${name} must be non-empty, without ':' or spaces`);
  }
  return value;
}

/** `corpId:agentId:userId`, the identity of a user as seen by one app. */
export function buildChatId(corpId: string, agentId: number | string, userId: string): string {
  const agent = String(agentId);
  if (!/^\d+$/.test(agent)) throw new WeComTargetError('invalid_chat_id', 'agentId must be an integer');
  return `${part('corpId', corpId)}:${agent}:${part('userId', userId)}`;
}

/** Parses `corpId:agentId:userId`, `corpId:userId` (reference form) or a bare `userId`. */
export function parseChatId(chatId: string): ParsedChatId {
  if (typeof chatId !== 'string' || chatId.length === 0 || chatId.length > 256 || /\s/.test(chatId)) {
    throw new WeComTargetError('invalid_chat_id', 'chat id must be a non-empty string without spaces');
  }
  const parts = chatId.split(':');
  if (parts.some((p) => p.length === 0)) {
    throw new WeComTargetError('invalid_chat_id', 'chat id has an empty part');
  }
  if (parts.length === 3) {
    const [corpId, agent, userId] = parts as [string, string, string];
    if (!/^\d{1,10}$/.test(agent)) {
      throw new WeComTargetError(
        'invalid_chat_id',
        'the middle part of corpId:agentId:userId must be an integer',
      );
    }
    return { kind: 'app', corpId, agentId: Number(agent), userId };
  }
  if (parts.length === 2) return { kind: 'corp', corpId: parts[0]!, userId: parts[1]! };
  if (parts.length === 1) return { kind: 'user', userId: parts[0]! };
  throw new WeComTargetError('invalid_chat_id', 'chat id has too many parts');
}
