/**
 * Lines of a run beside Progress's own: the same JSON shape (time, runId, level, event) when
 * output is JSON, a plain line on a terminal. Callers pass public facts only, never key material.
 */
export class RunLog {
  constructor(
    readonly runId: string,
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  /** Shares the run id and output mode of the CLI's Progress. */
  static of(progress: { readonly runId: string; readonly json: boolean }): RunLog {
    return new RunLog(progress.runId, progress.json);
  }

  write(level: 'INFO' | 'WARN' | 'ERROR', event: string, text: string, fields: Record<string, unknown>): void {
    if (this.json) {
      this.out.write(`${JSON.stringify({ time: new Date().toISOString(), runId: this.runId, level, event, ...fields })}\n`);
    } else {
      this.out.write(`${text}\n`);
    }
  }
}
