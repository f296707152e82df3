import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail, type AuditEvent } from '../audit/audit-trail';
import { TENANT_CHANGES_CHANNEL } from '../database/tenant-changes';
import type { WebhookEvent, WebhookEvents, WebhookEventType } from './events';

/**
 * One change in the making, inside its transaction: the repositories write through `manager`; the audit row, the
 * events and the announcement are written when the change's work returns, in the same transaction, so that all of
 * them land or none does; the after-commit steps run once it has committed, never after a rollback.
 */
export interface Change {
  readonly manager: EntityManager;
  /** The change's success row in the audit trail. */
  audit(event: AuditEvent): void;
  /** An event of the change, with what its producer knows: the webhook outbox turns it into deliveries. */
  emit<T extends WebhookEventType>(type: T, data: WebhookEvents[T]): void;
  /**
   * The tenant's keys, API keys or deliveries changed: a NOTIFY delivered on commit makes every instance forget what
   * it cached of the tenant and wakes its webhook deliveries; this instance forgets at once after the commit.
   */
  announce(tenantId: string): void;
  /** Work that must follow the commit and never a rollback (destroying a deleted key's HSM objects). */
  afterCommit(step: () => unknown): void;
}

/**
 * Where a change's events go, in its transaction: the webhook outbox, which webhooks/ provides as this (changes/
 * knows no feature that listens to it).
 */
export abstract class ChangeOutbox {
  abstract enqueue(manager: EntityManager, events: readonly WebhookEvent[]): Promise<void>;
}

class PendingChange implements Change {
  readonly audited: AuditEvent[] = [];
  readonly events: WebhookEvent[] = [];
  readonly announced = new Set<string>();
  readonly afterCommitSteps: (() => unknown)[] = [];

  constructor(readonly manager: EntityManager) {}

  audit(event: AuditEvent): void {
    this.audited.push(event);
  }

  emit<T extends WebhookEventType>(type: T, data: WebhookEvents[T]): void {
    this.events.push({ type, data } as WebhookEvent);
  }

  announce(tenantId: string): void {
    this.announced.add(tenantId);
  }

  afterCommit(step: () => unknown): void {
    this.afterCommitSteps.push(step);
  }
}

/**
 * How every state change is made: the service that decides it runs its work here, in one transaction with its
 * audit row, its events (the outbox, `ChangeOutbox`) and its announcement to the other instances (`Change`).
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger(UnitOfWork.name);
  private readonly listeners = new Set<(tenantId: string) => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly auditTrail: AuditTrail,
    private readonly outbox: ChangeOutbox,
  ) {}

  async run<T>(work: (change: Change) => T | Promise<T>): Promise<T> {
    let change!: PendingChange;
    const result = await this.dataSource.transaction(async (manager) => {
      change = new PendingChange(manager);
      const result = await work(change);
      for (const event of change.audited) await this.auditTrail.record(manager, event);
      if (change.events.length > 0) await this.outbox.enqueue(manager, change.events);
      // A tenant whose events were queued is announced too: the announcement wakes every instance's delivery loops.
      for (const { data } of change.events) change.announced.add(data.tenantId);
      // Delivered when the transaction commits, never if it rolls back.
      for (const tenantId of change.announced) await manager.query('SELECT pg_notify($1, $2)', [TENANT_CHANGES_CHANNEL, tenantId]);
      return result;
    });
    // Committed: this instance hears its own announcements at once, then the steps run, in order.
    const heard = [...change.announced].flatMap((tenantId) => [...this.listeners].map((listener) => () => listener(tenantId)));
    for (const step of [...heard, ...change.afterCommitSteps]) {
      try {
        await step();
      } catch (error) {
        // The change stands: what a step leaves undone is its own to report (KeyCustody logs an orphan's label).
        this.logger.warn(`A step after a committed change failed: ${(error as Error).message}`);
      }
    }
    return result;
  }

  /** Calls `listener` after each commit with each tenant the change announced (the tenant cache forgets it at once). */
  onAnnounced(listener: (tenantId: string) => void): void {
    this.listeners.add(listener);
  }
}
