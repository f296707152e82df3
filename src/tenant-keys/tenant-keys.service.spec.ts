import type { Change } from '../changes/unit-of-work';
import type { WebhookEvent } from '../changes/events';
import { emitRotation } from './tenant-keys.service';

/** A change that only records what its producer emits. */
function recordingChange(): Change & { emitted: WebhookEvent[] } {
  const emitted: WebhookEvent[] = [];
  const unused = () => {
    throw new Error('not used by the events');
  };
  return {
    emitted,
    get manager(): never {
      return unused();
    },
    audit: unused,
    announce: unused,
    afterCommit: unused,
    emit: (type, data) => emitted.push({ type, data } as WebhookEvent),
  };
}

describe('a rotation emits', () => {
  it('key.rotated naming the successor, then key.retiring, both about the old key as the rotation left it', () => {
    const change = recordingChange();
    emitRotation(change, { tenantId: 't-1', id: 'old', kid: 'kid-old', alias: null, status: 'retiring' }, 'new');
    expect(change.emitted).toEqual([
      { type: 'key.rotated', data: { tenantId: 't-1', keyId: 'old', successorId: 'new', kid: 'kid-old', alias: null, status: 'retiring' } },
      { type: 'key.retiring', data: { tenantId: 't-1', keyId: 'old', status: 'retiring', kid: 'kid-old', alias: null } },
    ]);
  });
});
