/** The testing package's own option check; the generic ones come from @maven/wecom-core. */
import { WeComConfigError } from '@maven/wecom-crypto';

/** A timestamp option: seconds since the epoch as a number or a decimal string; default now. */
export function timestampOf(where: string, value: string | number | undefined, now = Date.now): string {
  if (value === undefined) return String(Math.floor(now() / 1000));
  const text = String(value);
  if (!/^\d{1,15}$/.test(text)) throw new WeComConfigError(`${where}: timestamp must be decimal seconds`);
  return text;
}
