import { Screen } from '../ui';

export function TokenCheck() {
  return (
    <Screen title="Token check">
      <p>Not built yet.</p>
    </Screen>
  );
}
