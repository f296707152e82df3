import { sign, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { generateRsaKeyPair, rsaGeneratorPid, RSA_GENERATOR_NICE } from './rsa-generator';

/** The nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
}

describe('RSA generator process', () => {
  it('makes a working pair of the asked length in another process, whose generating threads run at the lowest priority', async () => {
    const { publicKey, privateKey } = await generateRsaKeyPair(2048);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const signature = sign('sha256', Buffer.from('data'), privateKey);
    expect(verify('sha256', Buffer.from('data'), publicKey, signature)).toBe(true);

    const pid = rsaGeneratorPid()!;
    expect(pid).not.toBe(process.pid);
    // The main thread and libuv's pool threads (which ran the generation) carry the low priority.
    const lowered = threadNiceValues(pid).filter((nice) => nice === RSA_GENERATOR_NICE);
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(threadNiceValues(process.pid)[0]).toBeLessThan(RSA_GENERATOR_NICE);
  });

  it('runs generations side by side and gives each its own pair', async () => {
    const pairs = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(3072)]);
    expect(pairs.map((pair) => pair.privateKey.asymmetricKeyDetails?.modulusLength)).toEqual([2048, 3072]);
  });

  it('fails the pending generations when the process dies, and starts a new one for the next', async () => {
    await generateRsaKeyPair(2048);
    const first = rsaGeneratorPid()!;
    const doomed = generateRsaKeyPair(4096);
    process.kill(first, 'SIGKILL');
    await expect(doomed).rejects.toThrow('RSA generator process exited');
    await generateRsaKeyPair(2048);
    expect(rsaGeneratorPid()).not.toBe(first);
  });
});
