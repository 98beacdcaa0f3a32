// `node --import ./bench/lib/use-dist.mjs …`: run the built packages, not their sources (see dist-hooks.mjs).
import { register } from 'node:module';

register('./dist-hooks.mjs', import.meta.url);
