import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../shared/node/crypto/secret-box';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips, with a fresh IV every time', () => {
    const first = box.seal('sk-live-123');
    const second = box.seal('sk-live-123');
    expect(first).not.toEqual(second);
    expect(first).not.toContain('sk-live-123');
    expect(box.open(first)).toBe('sk-live-123');
  });

  it('refuses tampered ciphertext and another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() =>
      box.open([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.')),
    ).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
    expect(() => box.open('plain text')).toThrow('not a sealed secret');
  });
});
