/**
 * The suite's closing table: each test records one row (as a JSON file in a directory the global
 * setup provides), and the global teardown prints them together once every file has run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    summaryDir: string;
  }
}

export interface SummaryRow {
  /** Sort key and label, e.g. '1 load with faults'. */
  scenario: string;
  /** HTTP requests sent to the server under test. */
  sent: number;
  /** Answers by HTTP status ('0' = no answer: connection refused or reset). */
  statuses: Record<string, number>;
  delivered: number;
  failed: number;
  /** Replies started and never reported (must be 0). */
  lost: number;
  /** Messages that got more than one reply (failover rows; 0 while the shared store is up). */
  doubled?: number;
  /** Peak resident memory of the server process, bytes. */
  peakRss: number;
  /** Refusals whose 4xx the client read, of those sent (hostile-input rows). */
  refusalsRead?: number;
  refusalsSent?: number;
  /** Most connections the server held at once. */
  peakConnections?: number;
  /** Anything else worth a line (fault counts, refused connections…). */
  notes?: string;
}

export function recordSummary(row: SummaryRow): void {
  const dir = inject('summaryDir');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${row.scenario.replace(/[^a-z0-9]+/gi, '-')}.json`), JSON.stringify(row));
}

export function countStatus(statuses: Record<string, number>, status: number): void {
  const key = String(status);
  statuses[key] = (statuses[key] ?? 0) + 1;
}
