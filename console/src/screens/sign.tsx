import { Screen } from '../ui';

export function Sign() {
  return (
    <Screen title="Sign">
      <p>Not built yet.</p>
    </Screen>
  );
}
