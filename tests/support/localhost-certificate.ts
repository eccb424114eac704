import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A self-signed EC P-256 certificate for localhost (and 127.0.0.1), made by openssl into
 * DIR/cert.pem and DIR/key.pem: what the TLS proxies the tests put in front of pebble present.
 */
export function writeLocalhostCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
