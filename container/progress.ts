import { randomUUID } from 'node:crypto';
import { IssuerLog } from '../lib/core/telemetry.js';
import type { MetricLine } from './observability/metrics.js';

type Fields = Record<string, unknown>;

/** A field as a terminal shows it: objects as JSON (String() would print `[object Object]`). */
function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** A line's level in JSON output. */
export type Level = 'INFO' | 'WARN' | 'ERROR';

/**
 * What a run tells the person or the log pipeline, and the one writer of every line of a run
 * (steps, facts, metrics, results): a line per step with its timing on a terminal, JSON lines
 * (one object each, with a run id) when --json is given or stdout is not a TTY (ECS and
 * CloudWatch, where the stack's metric filters read the metric lines). Callers pass only public
 * facts: never key material.
 */
export class Progress {
  readonly runId = randomUUID();
  private readonly started = performance.now();
  /** The certificate a view of this run speaks for (several are worked on at once in `renew`). */
  readonly certificate: string | undefined = undefined;

  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  static forStdout(jsonFlag: boolean): Progress {
    return new Progress(jsonFlag || !process.stdout.isTTY);
  }

  /** The same run and output, with every step and line tagged with one certificate's name. */
  forCertificate(name: string): Progress {
    return Object.assign(Object.create(this) as Progress, { certificate: name });
  }

  /** Runs one step and reports it with its duration (and its failure, then rethrows). */
  async step<T>(stepTitle: string, run: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
    const title = this.certificate === undefined || this.json ? stepTitle : `${this.certificate}: ${stepTitle}`;
    const begun = performance.now();
    try {
      const value = await run();
      const ms = Math.round(performance.now() - begun);
      const detail = describe?.(value);
      if (this.json) this.emit({ level: 'INFO', event: 'step', step: title, ok: true, durationMs: ms, ...(detail ? { detail } : {}) });
      else this.line(`  ✓ ${title}${detail ? `: ${detail}` : ''} (${formatMs(ms)})`);
      return value;
    } catch (error) {
      const ms = Math.round(performance.now() - begun);
      if (this.json) this.emit({ level: 'ERROR', event: 'step', step: title, ok: false, durationMs: ms });
      else this.line(`  ✗ ${title} (${formatMs(ms)})`);
      throw error;
    }
  }

  info(message: string, fields: Fields = {}): void {
    if (this.json) this.emit({ level: 'INFO', event: 'info', message, ...fields });
    else this.line(message);
  }

  /** Something the operator should act on that did not stop the run (JSON level WARN). */
  warn(message: string, fields: Fields = {}): void {
    if (this.json) this.emit({ level: 'WARN', event: 'warning', message, ...fields });
    else this.line(`warning: ${message}`);
  }

  /** The final summary of a command: a table of labelled values on a terminal, one object in JSON. */
  result(event: string, fields: Fields): void {
    if (this.json) {
      this.emit({ level: 'INFO', event, ...fields, totalMs: Math.round(performance.now() - this.started) });
      return;
    }
    const width = Math.max(...Object.keys(fields).map((k) => k.length));
    for (const [key, value] of Object.entries(fields)) {
      const text = Array.isArray(value) ? value.join('\n' + ' '.repeat(width + 4)) : shown(value ?? '-');
      this.line(`  ${key.padEnd(width)}  ${text}`);
    }
  }

  /** Rows as an aligned table on a terminal; one `event` object per row in JSON. */
  table(event: string, rows: readonly Fields[], columns: readonly string[]): void {
    if (this.json) {
      for (const row of rows) this.emit({ level: 'INFO', event, ...row });
      return;
    }
    const cell = (value: unknown) => (value === undefined || value === null || value === '' ? '-' : shown(value));
    const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
    this.line(columns.map((column, i) => column.toUpperCase().padEnd(widths[i]!)).join('  '));
    for (const row of rows)
      this.line(
        columns
          .map((column, i) => cell(row[column]).padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }

  /** A line of its own kind (`event`): `fields` in JSON, `text` as it is on a terminal. */
  log(level: Level, event: string, text: string, fields: Fields): void {
    if (this.json) this.emit({ level, event, ...fields });
    else this.line(text);
  }

  /** A metric (container/observability/metrics.ts), written with JSON output only: a terminal has no CloudWatch behind it. */
  metric(line: MetricLine): void {
    if (this.json) this.emit({ level: 'INFO', [IssuerLog.eventField]: IssuerLog.metricEvent, ...line.fields, [line.name]: line.value });
  }

  error(code: string, message: string, hint: string | undefined): void {
    if (this.json) this.emit({ level: 'ERROR', event: 'error', code, message, ...(hint ? { hint } : {}) });
    else process.stderr.write(`error [${code}]: ${message}\n${hint ? `  what to do: ${hint}\n` : ''}`);
  }

  private emit(fields: Fields): void {
    const tag = this.certificate === undefined ? {} : { certificate: this.certificate };
    this.out.write(`${JSON.stringify({ time: new Date().toISOString(), runId: this.runId, ...tag, ...fields })}\n`);
  }

  private line(text: string): void {
    this.out.write(`${text}\n`);
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}
