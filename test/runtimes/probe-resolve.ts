/**
 * Run unbundled by Bun and Deno on the workspace sources: which entry of @maven/wecom-crypto the
 * runtime's own resolver picks (dev exports mirror publishConfig.exports condition for condition).
 */
import { defaultProvider } from '@maven/wecom-crypto';

console.log(JSON.stringify({ provider: defaultProvider.name }));
