import { useEffect, useState } from 'preact/hooks';
import { signOut, whenRefused, type Principal } from './api';
import { linkTo, useRoute } from './router';
import { SessionContext, type Session } from './session';
import { SignIn } from './screens/sign-in';
import { WhoAmI } from './screens/who-am-i';
import { Keys } from './screens/keys';
import { NewKey } from './screens/new-key';
import { KeyPage } from './screens/key-page';
import { Timeline } from './screens/timeline';
import { Jwks } from './screens/jwks';
import { TokenCheck } from './screens/token-check';
import { Sign } from './screens/sign';
import { ApiKeys } from './screens/api-keys';
import { Webhooks } from './screens/webhooks';
import { Audit } from './screens/audit';

/** The navigation, in the order a tenant admin reaches for it. */
const SECTIONS = [
  ['keys', 'Keys'],
  ['timeline', 'Rotation timeline'],
  ['jwks', 'JWKS'],
  ['sign', 'Sign'],
  ['verify', 'Token check'],
  ['api-keys', 'API keys'],
  ['webhooks', 'Webhooks'],
  ['audit', 'Audit trail'],
  ['me', 'Who am I'],
] as const;

export function App() {
  const [principal, setPrincipal] = useState<Principal>();
  const [ended, setEnded] = useState<string>();
  // The service refused the key (revoked, expired): back to the sign-in form, saying why.
  useEffect(
    () =>
      whenRefused((message) => {
        setPrincipal(undefined);
        setEnded(message);
        location.hash = '';
      }),
    [],
  );
  if (!principal) return <SignIn onSignedIn={setPrincipal} ended={ended} />;
  const session: Session = {
    principal,
    signOut: () => {
      signOut();
      setPrincipal(undefined);
      setEnded(undefined);
      location.hash = '';
    },
  };
  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <a class="brand" href={linkTo('keys')}>
          Key service
        </a>
        <span class="tenant">
          Tenant <code>{principal.tenantId}</code>
        </span>
        <button type="button" onClick={session.signOut}>
          Sign out
        </button>
      </header>
      <Navigation />
      <main id="main">
        <Routes />
      </main>
    </SessionContext.Provider>
  );
}

function Navigation() {
  const [current = 'keys'] = useRoute();
  return (
    <nav aria-label="Console">
      <ul>
        {SECTIONS.map(([route, label]) => (
          <li key={route}>
            <a href={linkTo(route)} aria-current={current === route ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Routes() {
  const [section = 'keys', id] = useRoute();
  switch (section) {
    case 'keys':
      if (id === 'new') return <NewKey />;
      return id ? <KeyPage key={id} id={id} /> : <Keys />;
    case 'timeline':
      return <Timeline />;
    case 'jwks':
      return <Jwks />;
    case 'sign':
      return <Sign />;
    case 'verify':
      return <TokenCheck />;
    case 'api-keys':
      return <ApiKeys />;
    case 'webhooks':
      return <Webhooks />;
    case 'audit':
      return <Audit />;
    case 'me':
      return <WhoAmI />;
    default:
      return <Keys />;
  }
}
