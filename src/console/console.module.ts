import { Module } from '@nestjs/common';
import { ConsoleRoutes } from './console.routes';

/** The console's static files at /console/ (console.routes.ts). */
@Module({ providers: [ConsoleRoutes] })
export class ConsoleModule {}
