import { Screen } from '../ui';

export function ApiKeys() {
  return (
    <Screen title="API keys">
      <p>Not built yet.</p>
    </Screen>
  );
}
