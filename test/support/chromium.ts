/** Debian's Chromium (`apt-get install -y chromium`): the browser tests drive it, never a downloaded one. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
