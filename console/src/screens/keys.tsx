import { Screen } from '../ui';

export function Keys() {
  return (
    <Screen title="Keys">
      <p>Not built yet.</p>
    </Screen>
  );
}
