import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/keys/<id>`): the service serves files only, so the page's own URL never reaches it. A route is
 * the path after `#`, split into segments.
 */
export function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    // A change between the first render and this effect fired no event this listener heard.
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export const linkTo = (...segments: string[]) => `#/${segments.map(encodeURIComponent).join('/')}`;

export function navigate(...segments: string[]): void {
  location.hash = linkTo(...segments);
}
