import { createServer } from 'node:net';

/** `port` on 127.0.0.1 if nothing listens there (0: any port the OS picks); undefined when it is taken. */
export async function listenablePort(port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const port = await listenablePort(0);
  if (port === undefined) throw new Error('the OS gave no free port on 127.0.0.1');
  return port;
}
