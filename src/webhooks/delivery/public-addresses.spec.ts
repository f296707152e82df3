import { isPublicAddress, urlProblem } from './public-addresses';

describe('isPublicAddress', () => {
  it.each([
    ['93.184.215.14', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['169.254.169.254', false],
    ['::1', false],
    ['::', false],
    ['fc00::1', false],
    ['fe80::1', false],
  ])('%s: %s', (address, isPublic) => {
    expect(isPublicAddress(address)).toBe(isPublic);
  });

  it.each([
    // IPv4-compatible (::/96): refused whatever IPv4 address is inside, a public one included.
    ['::7f00:1', false],
    ['::127.0.0.1', false],
    ['::a9fe:a9fe', false],
    ['::808:808', false],
    // IPv4-mapped (::ffff:0:0/96): judged by the IPv4 address inside.
    ['::ffff:7f00:1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:808:808', true],
    // SIIT (::ffff:0:0:0/96) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48): refused, as translators reach IPv4 through them.
    ['::ffff:0:7f00:1', false],
    ['64:ff9b::7f00:1', false],
    ['64:ff9b::808:808', false],
    ['64:ff9b:1::a00:1', false],
  ])('an IPv6 form of an IPv4 address, %s: %s', (address, isPublic) => {
    expect(isPublicAddress(address)).toBe(isPublic);
  });
});

describe('urlProblem', () => {
  it('refuses an IPv4-compatible IPv6 literal, written either way', () => {
    for (const url of ['https://[::7f00:1]/hook', 'https://[::127.0.0.1]/hook']) {
      expect(urlProblem(url, false)).toBe('url resolves to ::7f00:1, which is not a public address: webhooks go to public addresses only');
    }
  });
});
