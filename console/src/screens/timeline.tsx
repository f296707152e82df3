import { Screen } from '../ui';

export function Timeline() {
  return (
    <Screen title="Rotation timeline">
      <p>Not built yet.</p>
    </Screen>
  );
}
