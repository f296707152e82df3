import { Screen } from '../ui';

export function Audit() {
  return (
    <Screen title="Audit trail">
      <p>Not built yet.</p>
    </Screen>
  );
}
