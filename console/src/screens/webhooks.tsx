import { Screen } from '../ui';

export function Webhooks() {
  return (
    <Screen title="Webhooks">
      <p>Not built yet.</p>
    </Screen>
  );
}
