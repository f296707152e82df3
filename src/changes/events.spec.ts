import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deletedEvent, keyEvent, statusEvent, successionEvent, WEBHOOK_EVENT_TYPES } from './events';

/** A key row as the producers hold it: more columns than an event shows. */
const key = {
  tenantId: 't-1',
  id: 'k-1',
  kid: 'kid-1',
  alias: 'signer',
  status: 'active',
  privateKeySealed: Buffer.from('never shown'),
  name: 'a name',
};

/** The body's data as receivers get it, fields in order (a signature covers the bytes). */
const body = (data: object) => JSON.stringify(data);

describe('webhook events: what each change says about its key', () => {
  it('shows a key by tenant, id, kid, alias and status, and nothing else of its row', () => {
    expect(body(keyEvent(key))).toBe('{"tenantId":"t-1","keyId":"k-1","kid":"kid-1","alias":"signer","status":"active"}');
  });

  it('names the successor of a rotated or published key beside the key as the change left it', () => {
    expect(body(successionEvent({ ...key, status: 'retiring', alias: null }, 'k-2'))).toBe(
      '{"tenantId":"t-1","keyId":"k-1","successorId":"k-2","kid":"kid-1","alias":null,"status":"retiring"}',
    );
  });

  it('announces a status (retiring, retired) whatever the row says, with the kid and alias the key keeps', () => {
    expect(body(statusEvent(key, 'retiring'))).toBe('{"tenantId":"t-1","keyId":"k-1","status":"retiring","kid":"kid-1","alias":"signer"}');
    expect(body(statusEvent({ ...key, status: 'retiring', alias: null }, 'retired'))).toBe(
      '{"tenantId":"t-1","keyId":"k-1","status":"retired","kid":"kid-1","alias":null}',
    );
  });

  it('shows a deleted key as it was, with the status deleted', () => {
    expect(body(deletedEvent({ ...key, status: 'pending_deletion' }))).toBe(
      '{"tenantId":"t-1","keyId":"k-1","kid":"kid-1","alias":"signer","status":"deleted"}',
    );
  });
});

describe('webhook events: the list receivers read', () => {
  it('is the list docs/API.md gives, no event more or less', () => {
    const doc = readFileSync(join(__dirname, '../../docs/API.md'), 'utf8');
    const paragraph = /^Events \(`type`\):[\s\S]*?\n\n/m.exec(doc)?.[0] ?? '';
    const named = [...paragraph.matchAll(/`((?:key|api_key)\.[a-z_]+)`/g)].map(([, type]) => type);
    expect([...new Set(named)].sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });
});
