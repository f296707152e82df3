import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { documentPathParameterLimit, ErrorEnvelopeDoc } from '../common/api-docs';
import { COMMON_ERROR_CODES } from '../common/domain-error';
import { HSM_ERROR_CODES } from '../hsm/pkcs11-token';
import { API_KEY_SCHEME, BEARER_SCHEME, METRICS_SCHEME, TENANT_ID_SCHEME } from '../common/route-access';
import { TENANT_KEY_ERROR_CODES } from '../tenant-keys/key-errors';
import { documentJwks } from '../tenant-keys/jwks/jwks.routes';
import { TENANT_ERROR_CODES } from '../tenants/tenant-errors';
import { USER_KEY_ERROR_CODES } from '../user-keys/user-key-errors';
import { WEBHOOK_ERROR_CODES } from '../webhooks/webhooks.service';

export const DOCS_PATH = 'docs';

/** The OpenAPI 3 document, read off the controllers' and DTOs' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Key service')
    .setDescription(
      'Creates, stores and serves the keys that JWTs are signed and verified with. Every answer but the JWKS is a ' +
        '`{ success, message, data }` envelope. `/key` is for tenant admin tools (API key and tenant id headers); ' +
        '`/keys` is for end-user apps (an access token). An optional field sent as `null` is the same as one left out, ' +
        'unless its description gives null a meaning of its own (`alias`, `rotationPolicy` and `signingPolicy`: null removes; ' +
        '`expiresIn`: null signs a token without `exp`).',
    )
    .setOpenAPIVersion('3.1.0')
    .setVersion(packageVersion())
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: '`Basic <api key>` (or `Bearer <api key>`)' }, API_KEY_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-stencil-tenantid', description: 'The tenant id the API key belongs to' }, TENANT_ID_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An OAuth or QRAuth access token' }, BEARER_SCHEME)
    .addSecurity(METRICS_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, when the service has one (otherwise /metrics is public)',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentJwks(document);
  // The error envelope's `code` is one of a closed list: the common codes and each feature's own.
  const errorSchema = document.components?.schemas?.[ErrorEnvelopeDoc.name] as SchemaObject | undefined;
  const code = errorSchema?.properties?.code as SchemaObject | undefined;
  if (code)
    code.enum = [
      ...new Set([
        ...COMMON_ERROR_CODES,
        ...TENANT_KEY_ERROR_CODES,
        ...USER_KEY_ERROR_CODES,
        ...TENANT_ERROR_CODES,
        ...WEBHOOK_ERROR_CODES,
        ...HSM_ERROR_CODES,
      ]),
    ];
  documentPathParameterLimit(document);
  return document;
}

/** The service's version, from the package.json above this file (in src/ or in dist/src/). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

/** `/docs` (Swagger UI) and `/docs-json` (the document). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    yamlDocumentUrl: `${DOCS_PATH}-yaml`,
    swaggerOptions: { persistAuthorization: false, tryItOutEnabled: false },
  });
}
