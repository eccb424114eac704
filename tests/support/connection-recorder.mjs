// Loaded into the issuer CLI (node --import) by the e2e suites: appends every outbound TCP
// connection the process makes, or tries to make, to CONNECTION_RECORD_FILE as a JSON line, so
// the suites can check each against the egress rules of the synthesized security group
// (tests/support/network-record.ts). Node publishes every client socket, TLS ones included, on
// the `net.client.socket` diagnostics channel (Node 22+; Node 20 leaves TLS sockets out). Plain
// JavaScript: it runs in the image's Node without a TypeScript loader.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const file = process.env.CONNECTION_RECORD_FILE;
if (file) {
  const record = (entry) => appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...entry })}\n`);
  subscribe('net.client.socket', ({ socket }) => {
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      record({ address: socket.remoteAddress, port: socket.remotePort, servername: socket.servername || undefined });
    });
    // A refused or unreachable destination is a connection the rules must allow too.
    socket.once('error', (error) => {
      if (!connected && error.port !== undefined) record({ address: error.address, port: error.port, failed: error.code });
    });
  });
}
