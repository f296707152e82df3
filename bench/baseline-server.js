// The limits our service is measured against, run as their own process like the service:
//   pg-list / pg-get: node:http + pg answering the same query with the same JSON (the envelope included);
//   static: a fixed JSON body (the JWKS), nothing else;
//   sign: reads the JSON body and answers a compact ES256 JWS of its payload made with crypto.sign (no auth, no DB).
'use strict';
const http = require('node:http');
const { Pool } = require('pg');

const [mode, port, databaseUrl, tenantId, staticFile] = process.argv.slice(2);
const pool = databaseUrl ? new Pool({ connectionString: databaseUrl, max: 10 }) : undefined;
const staticBody = staticFile ? require('node:fs').readFileSync(staticFile) : undefined;
const signingKey = mode === 'sign' ? require('node:crypto').generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey : undefined;
const base64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const readJson = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });

const view = (row) => ({
  id: row.id,
  name: row.name,
  algorithm: row.algorithm,
  type: row.type,
  curve: row.curve,
  length: row.length,
  hasPrivateKey: row.private_key_sealed !== null,
  issuer: row.issuer,
  kid: row.kid,
  publicKey: row.public_key_pem,
  jwk: row.public_jwk,
  certificate: row.certificate_pem,
  status: row.status,
  retireAt: row.retire_at,
  rotatedFrom: row.rotated_from,
  rotatedTo: row.rotated_to,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
const send = (res, body) => {
  const json = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(json);
};

http
  .createServer(async (req, res) => {
    try {
      if (req.url === '/health') return send(res, '{}');
      if (mode === 'static') return send(res, staticBody);
      if (mode === 'sign') {
        const { payload } = await readJson(req);
        const input = `${base64url({ typ: 'JWT', alg: 'ES256', kid: 'bench' })}.${base64url({ ...payload, iat: Math.floor(Date.now() / 1000) })}`;
        const signature = require('node:crypto').sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' });
        return send(res, { success: true, message: 'Token signed', data: { token: `${input}.${signature.toString('base64url')}` } });
      }
      if (mode === 'pg-list') {
        const { rows } = await pool.query('SELECT * FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
        return send(res, { success: true, message: 'Keys retrieved', data: rows.map(view) });
      }
      const id = req.url.split('/').pop();
      const { rows } = await pool.query('SELECT * FROM tenant_keys WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
      return send(res, { success: true, message: 'Key retrieved', data: view(rows[0]) });
    } catch (error) {
      res.writeHead(500);
      res.end(String(error));
    }
  })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
