import type { Serve } from './matrix.ts';

export const serveFetch: Serve;
