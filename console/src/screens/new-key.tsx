import { Screen } from '../ui';

export function NewKey() {
  return (
    <Screen title="New key">
      <p>Not built yet.</p>
    </Screen>
  );
}
