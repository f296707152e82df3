import { Screen } from '../ui';

export function Jwks() {
  return (
    <Screen title="JWKS">
      <p>Not built yet.</p>
    </Screen>
  );
}
