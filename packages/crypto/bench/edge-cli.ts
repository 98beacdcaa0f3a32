/** Deno and Bun: the Web provider measured in-process; one JSON line on stdout. */
import { WeComCrypto, webProvider } from '../src/index.web.ts';
import { KEYS, measureAll } from './edge-subject.ts';

const codec = new WeComCrypto({ ...KEYS, provider: webProvider });
const rows = await measureAll(codec, () => performance.now());
console.log(JSON.stringify({ rows }));
