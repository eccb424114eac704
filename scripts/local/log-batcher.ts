// Lambda ships what a function writes to stdout/stderr to CloudWatch Logs asynchronously, in
// batches; the function's own write returns at once. The local ALB adapter stands in for that
// service, so it may do the same for the handler it runs: collect the process's output and hand
// it to the real streams once per event-loop turn instead of one write(2) per line (on Linux a
// write to a file or pipe stdout is a synchronous syscall, the largest single cost per request).
//
// Nothing is lost or reordered: stdout and stderr share one queue in write order (a switch of
// stream hands over what was collected before it), more than `maxBytes` waiting is written at
// once, and everything left is written synchronously on 'exit' and on SIGTERM/SIGINT/SIGHUP. A
// signal nobody else listens to is raised again after the flush, so its default action (the
// process ends) still happens. Only SIGKILL or a crash of node itself can lose the lines of the
// current turn.

import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';

type Chunk = string | Uint8Array;
type Callback = (error?: Error | null) => void;
type Write = (chunk: Chunk, encodingOrCallback?: BufferEncoding | Callback, callback?: Callback) => boolean;

export interface LogBatcherOptions {
  /** Bytes (string length for text) collected before they are written without waiting for the turn to end. @default 65536 */
  readonly maxBytes?: number;
}

export interface LogBatcher {
  /** Writes everything collected so far, synchronously where the stream is (files and pipes on Linux). */
  flush(): void;
  /** Puts the streams' own write back, after a flush. */
  uninstall(): void;
  /** How many writes reached the real streams (to see the batching work). */
  readonly writes: number;
}

const FLUSH_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export function batchProcessOutput(options: LogBatcherOptions = {}): LogBatcher {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write) as [Write, Write];
  // The descriptors node writes synchronously with a plain write(2): files and non-terminal
  // character devices such as /dev/null (libuv calls both UV_FILE). Pipes and terminals keep their stream.
  const direct = streams.map((stream) => {
    try {
      const stat = fstatSync(stream.fd);
      return stat.isFile() || (stat.isCharacterDevice() && !isatty(stream.fd)) ? stream.fd : undefined;
    } catch {
      return undefined;
    }
  });

  let target = 0; // the stream the pending chunks belong to
  let pending: Chunk[] = [];
  let pendingBytes = 0;
  let callbacks: Callback[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let writes = 0;

  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;
    const chunks = pending;
    const done = callbacks;
    pending = [];
    pendingBytes = 0;
    callbacks = [];
    const data = chunks.every((c) => typeof c === 'string') ? chunks.join('') : Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    writes++;
    const fd = direct[target];
    if (fd === undefined) {
      originals[target]!.call(streams[target], data, done.length === 0 ? undefined : (error) => done.forEach((cb) => cb(error)));
      return;
    }
    // What node's stream for a file does (SyncWriteStream: writeSync, then the callbacks), without
    // turning the text into a Buffer in JavaScript first: writeSync encodes a string on its own.
    // Two calls because writeSync's overloads take a string or a buffer, not the union.
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    if (done.length > 0) process.nextTick(() => done.forEach((cb) => cb()));
  };

  const batched = (index: number): Write =>
    function write(chunk, encodingOrCallback, callback) {
      const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
      const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (index !== target) {
        flush();
        target = index;
      }
      const piece = typeof chunk === 'string' && encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding) : chunk;
      pending.push(piece);
      pendingBytes += piece.length;
      if (cb !== undefined) callbacks.push(cb);
      if (pendingBytes >= maxBytes) flush();
      else scheduled ??= setImmediate(flush);
      return true;
    };

  const onSignal = (signal: NodeJS.Signals): void => {
    flush();
    // Alone on this signal: we took over its default action, so give it back and raise it again.
    if (process.listenerCount(signal) === 1) {
      uninstall();
      process.kill(process.pid, signal);
    }
  };

  const uninstall = (): void => {
    flush();
    streams.forEach((stream, i) => {
      stream.write = originals[i]! as typeof stream.write;
    });
    process.off('exit', flush);
    for (const signal of FLUSH_SIGNALS) process.off(signal, onSignal);
  };

  streams.forEach((stream, i) => {
    stream.write = batched(i) as typeof stream.write;
  });
  process.on('exit', flush);
  for (const signal of FLUSH_SIGNALS) process.on(signal, onSignal);

  return {
    flush,
    uninstall,
    get writes() {
      return writes;
    },
  };
}
