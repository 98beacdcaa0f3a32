/** Deno and Bun: the Web provider measured in-process; one JSON line on stdout. */
import { WeComCrypto, webProvider } from '../src/index.web.ts';
import { cpuClock, KEYS, measureAll } from './edge-subject.ts';

const codec = new WeComCrypto({ ...KEYS, provider: webProvider });
const clock = cpuClock();
const rows = await measureAll(codec, clock.now);
console.log(JSON.stringify({ rows, clock: clock.kind }));
