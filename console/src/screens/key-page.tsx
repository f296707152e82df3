import { Screen } from '../ui';

export function KeyPage({ id }: { id: string }) {
  return (
    <Screen title="Key">
      <p>
        Not built yet: <code>{id}</code>
      </p>
    </Screen>
  );
}
