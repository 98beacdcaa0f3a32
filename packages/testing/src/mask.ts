/** Secrets in CLI output: first and last two characters only (`QDG6eK` → `QD…eK`). */
export function mask(secret: string): string {
  if (secret.length < 6) return secret.length <= 2 ? '…' : `${secret.slice(0, 1)}…${secret.slice(-1)}`;
  return `${secret.slice(0, 2)}…${secret.slice(-2)}`;
}
