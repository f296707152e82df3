import { AuditTrail, cliActor } from '../../audit/audit-trail';
import { BATCH_OPTION, batchSize, defineCommand, wholeNumberOption } from '../command';

export const auditPrune = defineCommand({
  name: 'audit:prune',
  options: { days: { type: 'string', placeholder: 'n', required: true }, batch: BATCH_OPTION },
  description: 'delete audit events older than n days, in batches (the pruning is itself recorded); for a daily cron job',
  validate: (values) => ({ days: wholeNumberOption(values.days, '--days', 36_500), batchSize: batchSize(values.batch) }),
  async run({ app }, { days, batchSize }) {
    const deleted = await app.get(AuditTrail).prune(cliActor(), days, batchSize);
    return { json: { days, deleted }, text: `${deleted} audit events older than ${days} days deleted.` };
  },
});
