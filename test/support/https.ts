// An HTTPS GET to 127.0.0.1 with a chosen SNI: the body, and the certificate the server chose (its CN).

import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { REQUEST_TIMEOUT_MS } from '../../src/local/http.js';

export function httpsGet(port: number, host: string): Promise<{ subject: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, servername: host, headers: { host }, rejectUnauthorized: false, agent: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const subject = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ subject, body: body.trim() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET https://${host} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
