import { Global, Module } from '@nestjs/common';
import { AuditTrail } from './audit-trail';

/** Global: every module that changes keys writes the trail. */
@Global()
@Module({ providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}
