import { describe, expect, it } from 'vitest';
import { OneTimeCodes } from '../../../src/auth/totp/one-time-codes.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { systemRandom } from '../../../src/shared/random.js';
import { memoryStorage } from '../../helpers/storage.js';

function setup() {
  const clock = new ManualClock();
  const storage = memoryStorage(clock);
  const codes = new OneTimeCodes({ repository: storage.oneTimeCodes, clock, random: systemRandom });
  return { clock, storage, codes };
}

const intent = 'totp-enrollment';

describe('OneTimeCodes', () => {
  it('issues 8-character codes that work once, stored only as a hash', async () => {
    const { codes, storage } = setup();
    const code = await codes.issue('john', intent);
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    const stored = storage.db.prepare('SELECT * FROM one_time_code').all() as Record<string, unknown>[];
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(await codes.consume('john', intent, code)).toBe(true);
    expect(await codes.consume('john', intent, code)).toBe(false);
  });

  it('ignores case, spaces and dashes in what the user types', async () => {
    const { codes } = setup();
    const code = await codes.issue('john', intent);
    expect(await codes.consume('john', intent, ` ${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `)).toBe(true);
  });

  it('refuses a code for another user or intent, and an expired code', async () => {
    const { codes, clock } = setup();
    const code = await codes.issue('john', intent);
    expect(await codes.consume('harry', intent, code)).toBe(false);
    expect(await codes.consume('john', 'password-reset', code)).toBe(false);
    clock.advance(5 * 60_000);
    expect(await codes.consume('john', intent, code)).toBe(false);
  });

  it('accepts a code until just before it expires', async () => {
    const { codes, clock } = setup();
    const code = await codes.issue('john', intent);
    clock.advance(5 * 60_000 - 1);
    expect(await codes.consume('john', intent, code)).toBe(true);
  });

  it('revokes the previous code when a new one is issued', async () => {
    const { codes } = setup();
    const first = await codes.issue('john', intent);
    const second = await codes.issue('john', intent);
    expect(await codes.consume('john', intent, first)).toBe(first === second);
    expect(await codes.consume('john', intent, second)).toBe(first !== second);
  });

  it('revokes a code after 5 wrong guesses', async () => {
    const { codes } = setup();
    const code = await codes.issue('john', intent);
    const wrong = code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA';
    for (let i = 0; i < 4; i++) expect(await codes.consume('john', intent, wrong)).toBe(false);
    const again = await codes.issue('harry', intent);
    for (let i = 0; i < 5; i++) await codes.consume('harry', intent, again === wrong ? 'CCCCCCCC' : wrong);
    expect(await codes.consume('harry', intent, again)).toBe(false);
    expect(await codes.consume('john', intent, code)).toBe(true);
  });
});
