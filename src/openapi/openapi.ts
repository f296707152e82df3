import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { documentPathParameterLimit } from '../common/api-docs';
import { packageRoot } from '../common/package-root';
import { API_KEY_SCHEME, BEARER_SCHEME, FUSIONAUTH_API_KEY_SCHEME, METRICS_SCHEME, TENANT_ID_SCHEME } from '../common/route-access';
import { documentJwks } from '../tenant-keys/jwks/jwks.routes';

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
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'Authorization', description: 'The API key itself, no scheme, as FusionAuth clients send it (`/api`)' },
      FUSIONAUTH_API_KEY_SCHEME,
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An OAuth or QRAuth access token' }, BEARER_SCHEME)
    .addSecurity(METRICS_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, when the service has one (otherwise /metrics is public)',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentJwks(document);
  documentPathParameterLimit(document);
  return document;
}

/** The service's version, from its package.json. */
function packageVersion(): string {
  const root = packageRoot();
  return root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version : '0.0.0';
}

/** `/docs` (Swagger UI) and `/docs-json` (the document). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    yamlDocumentUrl: `${DOCS_PATH}-yaml`,
    swaggerOptions: { persistAuthorization: false, tryItOutEnabled: false },
  });
}
