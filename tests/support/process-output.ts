/**
 * What a piece of in-process code writes to stdout and stderr while it runs, line by line. Lambda
 * ships both streams to the log group, and Powertools' Logger writes to them itself (INFO and WARN
 * to stdout, ERROR to stderr), so the tests read the real bytes there.
 */
export async function capturedLines(run: () => Promise<unknown>): Promise<string[]> {
  let text = '';
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const capture = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await run();
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return text.split('\n').filter((line) => line !== '');
}
