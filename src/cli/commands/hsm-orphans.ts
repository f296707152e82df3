import { KeyCustody } from '../../tenant-keys/material/key-custody';
import { TenantKeysRepository } from '../../tenant-keys/tenant-keys.repository';
import { defineCommand, wholeNumberOption } from '../command';

export const hsmOrphans = defineCommand({
  name: 'hsm:orphans',
  options: { destroy: { type: 'boolean' }, grace: { type: 'string', placeholder: 's' } },
  description: 'key pairs in the HSM that no key names (seen twice, --grace seconds apart, default 60); --destroy destroys them',
  validate: ({ destroy, grace = '60' }) => ({ destroy, graceSeconds: grace === '0' ? 0 : wholeNumberOption(grace, '--grace', 3_600) }),
  async run({ app, config }, { destroy, graceSeconds }) {
    if (!config.pkcs11) throw new Error('hsm:orphans needs an HSM: PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN');
    const keys = app.get(TenantKeysRepository);
    const orphans = await app.get(KeyCustody).orphans(() => keys.hsmLabels(), { graceSeconds, destroy });
    return {
      json: { orphans, destroyed: destroy },
      text:
        orphans.length === 0
          ? 'No orphaned key pairs in the HSM.'
          : `${orphans.length} orphaned key pairs ${destroy ? 'destroyed' : 'found'}:\n${orphans.join('\n')}`,
    };
  },
});
