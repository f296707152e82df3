import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditTrail } from './audit-trail';

/** Global: every module that changes keys writes the trail. */
@Global()
@Module({ imports: [TypeOrmModule.forFeature([AuditEventEntity])], providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}
