// A real process for tests/scripts/log-batcher.test.ts: installs the batcher, writes numbered
// lines to stdout and stderr over several event-loop turns (small, large, via console and
// stream.write, some with callbacks), then ends the way argv[2] says. Every line is
// `seq N <stream> <padding>`; the test checks N runs 0, 1, 2, ... with nothing missing.
import { writeFileSync } from 'node:fs';
import { batchProcessOutput } from '../../scripts/local/log-batcher.js';

const [mode = 'drain', statsFile] = process.argv.slice(2);
const batcher = batchProcessOutput();
let seq = 0;

function line(): void {
  const n = seq++;
  // every 7th line goes to stderr; one in a hundred is larger than the batch limit (so the lines
  // after it wait for the end of the turn)
  const pad = n % 100 === 42 ? 'x'.repeat(70_000) : 'y'.repeat(n % 13);
  if (n % 7 === 3) console.error(`seq ${n} err ${pad}`);
  else if (n % 5 === 0) process.stdout.write(`seq ${n} out ${pad}\n`, () => undefined);
  else if (n % 11 === 0) process.stdout.write(Buffer.from(`seq ${n} out ${pad}\n`));
  else console.log(`seq ${n} out ${pad}`);
}

const burst = (count: number) => {
  for (let i = 0; i < count; i++) line();
};

if (statsFile !== undefined) process.on('exit', () => writeFileSync(statsFile, JSON.stringify({ lines: seq, writes: batcher.writes })));
if (mode === 'handled-sigterm') process.on('SIGTERM', () => process.exit(0)); // as the adapter does

// Several turns of the event loop, as a server's requests arrive.
burst(300);
await new Promise((resolve) => setImmediate(resolve));
burst(300);
await new Promise((resolve) => setTimeout(resolve, 5));
burst(300);
await Promise.resolve();
burst(100); // still pending when the process is told to end

switch (mode) {
  case 'drain': // the event loop empties and node exits by itself
    break;
  case 'exit':
    process.exit(3);
  case 'throw':
    throw new Error('uncaught on purpose');
  case 'default-sigterm': // nobody else listens: the process must still die of SIGTERM
  case 'handled-sigterm':
    process.kill(process.pid, 'SIGTERM');
    burst(100); // written after the signal was sent, before node handles it
    setInterval(() => undefined, 1000);
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
