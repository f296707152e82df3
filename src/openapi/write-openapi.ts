import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { loadConfig, settleConfig } from '../config/config';
import { buildOpenApiDocument } from './openapi';

/** `npm run openapi [file]`: the OpenAPI document, for client generators. Preview mode: no database, no provider runs. */
async function writeOpenApi(file = 'openapi.json'): Promise<void> {
  const config = settleConfig(loadConfig({ RSA_POOL_SIZES: 'off' }), { databaseUrl: 'postgres://unused', openingKeys: [Buffer.alloc(32)] });
  const app = await NestFactory.create(AppModule.forRoot(config, null), new FastifyAdapter(), { preview: true, logger: false });
  writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  await app.close();
  process.stdout.write(`OpenAPI document written to ${file}\n`);
}

writeOpenApi(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
