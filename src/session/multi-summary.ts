/**
 * The end of `vmbench build a b c`: one row per build — profile, result, time, artifacts with
 * their sizes, log folder, and for a failure the failed step with the first line of its reason —
 * as a text table (plain and workbench front ends) and as the `summary` JSON event.
 */
import os from 'node:os';
import path from 'node:path';
import {formatDuration} from '../util/duration.js';
import type {BuildRun, RunStatus} from './multi-runner.js';
import {formatBytes} from '../util/bytes.js';

export interface SummaryRow {
  build: string;
  profile: string;
  result: RunStatus;
  durationMs?: number;
  artifacts: {path: string; format: string; bytes: number}[];
  logDir: string;
  outputDir: string;
  failedStep?: string;
  reason?: string;
  exitCode?: number | null;
}

export interface SummaryEvent {
  type: 'summary';
  time: number;
  status: 'done' | 'failed' | 'cancelled';
  exitCode: number;
  durationMs: number;
  builds: SummaryRow[];
}

export function summaryRows(runs: readonly BuildRun[]): SummaryRow[] {
  return runs.map((r) => ({
    build: r.plan.label,
    profile: r.plan.profile,
    result: r.status,
    ...(r.startedAt !== undefined ? {durationMs: (r.endedAt ?? Date.now()) - r.startedAt} : {}),
    artifacts: r.artifacts,
    logDir: r.plan.logDir,
    outputDir: r.plan.outputDir,
    ...(r.failedStep ? {failedStep: r.failedStep} : {}),
    ...(r.status !== 'done' && r.reason ? {reason: r.reason} : {}),
    ...(r.exitCode !== undefined ? {exitCode: r.exitCode} : {}),
  }));
}

/** 0 all done; 130 interrupted; 1 any failed (or did not start). */
export function exitCodeOf(runs: readonly BuildRun[], interrupted: boolean): number {
  if (interrupted) return 130;
  return runs.every((r) => r.status === 'done') ? 0 : 1;
}

export function summaryEvent(runs: readonly BuildRun[], interrupted: boolean, startedAt: number): SummaryEvent {
  const exitCode = exitCodeOf(runs, interrupted);
  return {type: 'summary', time: Date.now(), status: exitCode === 0 ? 'done' : exitCode === 130 ? 'cancelled' : 'failed', exitCode, durationMs: Date.now() - startedAt, builds: summaryRows(runs)};
}


/** A path as short as it can be said: relative below the working directory, `~/…` below home. */
export function shortPath(p: string, cwd = process.cwd(), home = os.homedir()): string {
  const rel = path.relative(cwd, p);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  if (home && home !== '/' && (p === home || p.startsWith(home + path.sep))) return `~${p.slice(home.length)}`;
  return p;
}

/** The summary as text lines: a heading, then the table. */
export function summaryTable(runs: readonly BuildRun[], durationMs: number): string[] {
  const rows = summaryRows(runs);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
  const head = `vmbench: ${rows.length} builds in ${formatDuration(durationMs)}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`;
  const cells = [
    ['BUILD', 'RESULT', 'TIME', 'ARTIFACTS', 'LOG FOLDER', 'FAILED STEP: REASON'],
    ...rows.map((r) => [
      r.build,
      r.result,
      r.durationMs !== undefined ? formatDuration(r.durationMs) : '-',
      r.artifacts.length ? r.artifacts.map((a) => `${shortPath(a.path)} (${formatBytes(a.bytes)})`).join(', ') : '-',
      r.durationMs !== undefined ? shortPath(r.logDir) : '-', // never started: no log folder
      r.result === 'done' ? '' : [r.failedStep, r.reason].filter(Boolean).join(': ') || '-',
    ]),
  ];
  // No failure to explain: no column for it.
  if (rows.every((r) => r.result === 'done')) for (const row of cells) row.pop();
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const lines = cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  return [head, ...lines];
}
