/** Provides the summary directory to the test files and prints the summary table at the very end. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { fmt, mb, table } from '../../bench/lib/table.ts';
import type { SummaryRow } from './lib/summary.ts';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'wecom-reliability-'));
  const started = Date.now();
  project.provide('summaryDir', dir);
  return () => {
    const rows = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SummaryRow)
      .sort((a, b) => a.scenario.localeCompare(b.scenario));
    rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const statuses = (s: Record<string, number>) =>
      Object.entries(s)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([k, v]) => `${k === '0' ? 'none' : k}: ${fmt(v)}`)
        .join(', ');
    const total = rows.reduce(
      (acc, r) => ({
        sent: acc.sent + r.sent,
        delivered: acc.delivered + r.delivered,
        failed: acc.failed + r.failed,
        lost: acc.lost + r.lost,
        peakRss: Math.max(acc.peakRss, r.peakRss),
      }),
      { sent: 0, delivered: 0, failed: 0, lost: 0, peakRss: 0 },
    );
    const lines = [
      '',
      `== reliability summary (${((Date.now() - started) / 1000).toFixed(1)} s, Node ${process.version})`,
      table([
        [
          'scenario',
          'requests sent',
          'answered by status',
          'replies delivered',
          'failed',
          'lost',
          'doubled',
          'refusals read / sent',
          'peak conns',
          'peak RSS',
        ],
        ...rows.map((r) => [
          r.scenario,
          fmt(r.sent),
          statuses(r.statuses),
          fmt(r.delivered),
          fmt(r.failed),
          fmt(r.lost),
          r.doubled === undefined ? '' : fmt(r.doubled),
          r.refusalsSent === undefined ? '' : `${fmt(r.refusalsRead ?? 0)} / ${fmt(r.refusalsSent)}`,
          r.peakConnections === undefined ? '' : fmt(r.peakConnections),
          mb(r.peakRss),
        ]),
        [
          'total',
          fmt(total.sent),
          '',
          fmt(total.delivered),
          fmt(total.failed),
          fmt(total.lost),
          '',
          '',
          '',
          mb(total.peakRss),
        ],
      ]),
      ...rows.filter((r) => r.notes).map((r) => `- ${r.scenario}: ${r.notes}`),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  };
}
