import { userInfo } from 'node:os';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { errorCodeOf } from '../common/domain-error';
import { decodeSequenceCursor, encodeCursor, pageOf } from '../common/paging';
import type { Page } from '../common/response-envelope';
import { AuditEventView, toAuditEventView } from './audit-event.view';
import { AuditEventEntity, type ActorType, type AuditAction, type AuditDetail, type AuditOutcome } from './audit-event.entity';

/** Who asks for a change, and in which request: taken from the request (see `@Actor()`) or made for the CLI. */
export interface AuditActor {
  tenantId: string | null;
  type: ActorType;
  id: string | null;
  requestId: string | null;
}

/** What a list of the trail may be narrowed to: one key, one action, one outcome. */
export interface AuditFilter {
  keyId?: string;
  action?: AuditAction;
  outcome?: AuditOutcome;
}

/** An API key of a tenant. */
export type TenantActor = AuditActor & { tenantId: string };

/** A change about to be attempted: who, what, on which key (null before a new key has its id). */
export interface AuditEvent {
  actor: AuditActor;
  action: AuditAction;
  keyId: string | null;
  /** Overrides the actor's tenant, e.g. for an API key the CLI revokes. */
  tenantId?: string | null;
  detail?: AuditDetail;
}

/** The operator who runs the CLI, as the operating system knows them. */
export function cliActor(): AuditActor {
  return { tenantId: null, type: 'cli', id: userInfo().username, requestId: null };
}

export const SYSTEM_ACTOR: AuditActor = { tenantId: null, type: 'system', id: null, requestId: null };

/**
 * Writes the audit trail. A change's success row is written in the change's own transaction (`record`, called by
 * the unit of work every change goes through); when the attempt fails, the change has rolled back and `attempt`, the
 * one place failures are written, records it on its own.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);

  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work`; if it throws, records the failure (with the error's code) and throws on. */
  async attempt<T>(event: AuditEvent, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.recordFailure(event, error);
      throw error;
    }
  }

  /** The event's success row, in the caller's transaction: it commits with the change, or not at all. */
  async record(manager: EntityManager, event: AuditEvent): Promise<void> {
    await manager.insert(AuditEventEntity, row(event, 'success'));
  }

  /**
   * Deletes the events older than `days`, a batch per statement (no long transaction, no long lock), and
   * records the pruning itself. Returns how many were deleted.
   */
  async prune(actor: AuditActor, days: number, batchSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [, count] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE at < now() - make_interval(days => $1) ORDER BY id LIMIT $2)`,
        [days, batchSize],
      );
      deleted += count;
      if (count < batchSize) break;
    }
    await this.record(this.dataSource.manager, { actor, action: 'audit.prune', keyId: null, detail: { days, deleted } });
    return deleted;
  }

  /** One page of a tenant's events, newest first, narrowed by every filter given, and the cursor of the next. */
  async listPage(tenantId: string, limit: number, cursor?: string, filter: AuditFilter = {}): Promise<Page<AuditEventView>> {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('event').where('event.tenant_id = :tenantId', { tenantId });
    if (filter.keyId) query.andWhere('event.key_id = :keyId', { keyId: filter.keyId.toLowerCase() });
    if (filter.action) query.andWhere('event.action = :action', { action: filter.action });
    if (filter.outcome) query.andWhere('event.outcome = :outcome', { outcome: filter.outcome });
    if (cursor) query.andWhere('event.id < :before', { before: decodeSequenceCursor(cursor) });
    const events = await query
      .orderBy('event.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return pageOf(events, limit, toAuditEventView, (last) => encodeCursor(last.id));
  }

  private async recordFailure(event: AuditEvent, error: unknown): Promise<void> {
    const code = errorCodeOf(error);
    if (code === 'DATABASE_UNAVAILABLE') {
      // Nothing can be written now; the 503 and this line are the record.
      this.logger.warn(`Not recorded: failed ${event.action} [requestId=${event.actor.requestId ?? 'none'}], database unavailable`);
      return;
    }
    try {
      await this.dataSource.getRepository(AuditEventEntity).insert(row({ ...event, detail: { ...event.detail, code } }, 'failure'));
    } catch (recordError) {
      this.logger.warn(`Not recorded: failed ${event.action} [requestId=${event.actor.requestId ?? 'none'}]: ${(recordError as Error).message}`);
    }
  }
}

function row(event: AuditEvent, outcome: AuditOutcome): Partial<AuditEventEntity> {
  return {
    tenantId: event.tenantId !== undefined ? event.tenantId : event.actor.tenantId,
    actorType: event.actor.type,
    actorId: event.actor.id,
    action: event.action,
    keyId: event.keyId,
    requestId: event.actor.requestId,
    outcome,
    detail: event.detail ?? null,
  };
}
