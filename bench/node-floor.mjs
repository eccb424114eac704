// Reference only: the plainest node HTTP server answering a fixed body, to show how much of the
// adapter's throughput gap to nginx is node's HTTP server itself. Port and body file from argv.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const [port, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile);
createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  response.end(body);
}).listen(Number(port), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
