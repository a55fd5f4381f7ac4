import { TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { createEnrollment, parseBase32Secret } from '../../../src/auth/totp/enrollment.js';
import { qrSvg } from '../../../src/auth/totp/qr.js';
import { TotpService } from '../../../src/auth/totp/totp-service.js';
import type { TotpConfig } from '../../../src/config/totp.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { GatehouseError } from '../../../src/shared/errors.js';
import { systemRandom } from '../../../src/shared/random.js';
import { memoryStorage } from '../../helpers/storage.js';

const defaults: TotpConfig = {
  disable: false,
  issuer: 'Gatehouse',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  skew: 1,
  secretSize: 32,
  disableReuseSecurityPolicy: false,
  allowedAlgorithms: ['SHA1'],
  allowedDigits: [6],
  allowedPeriods: [30],
};

function setup(config: Partial<TotpConfig> = {}, start = Date.UTC(2026, 0, 1)) {
  const clock = new ManualClock(start);
  const storage = memoryStorage(clock);
  const options = { config: { ...defaults, ...config }, repository: storage.totp, clock, random: systemRandom };
  return {
    clock,
    storage,
    service: new TotpService(options),
    withConfig: (c: Partial<TotpConfig>) => new TotpService({ ...options, config: { ...defaults, ...c } }),
  };
}

/** The code an authenticator app shows at `time` for an enrolment (computed by otpauth's generator). */
function codeAt(e: { secret: string; algorithm: string; digits: number; period: number }, time: number): string {
  return TOTP.generate({ secret: parseBase32(e.secret), algorithm: e.algorithm, digits: e.digits, period: e.period, timestamp: time });
}
const parseBase32 = (s: string) => new TOTP({ secret: s }).secret;
/** Another code of the same length: the first digit changed. */
const wrong = (code: string) => code.replace(/^\d/, (d) => String((Number(d) + 1) % 10));

describe('TOTP enrolment', () => {
  it('creates a key of secret_size bytes with a provisioning URI and an SVG QR code', async () => {
    const { service } = setup({ issuer: 'Gatehouse demo', algorithm: 'SHA256', digits: 8, period: 60 });
    const e = service.createEnrollment('john');
    expect(parseBase32Secret(e.secret)).toHaveLength(32);
    expect(e).toMatchObject({ username: 'john', issuer: 'Gatehouse demo', algorithm: 'SHA256', digits: 8, period: 60 });
    expect(e.uri).toBe(`otpauth://totp/Gatehouse%20demo:john?issuer=Gatehouse%20demo&secret=${e.secret}&algorithm=SHA256&digits=8&period=60`);
    expect(service.createEnrollment('john').secret).not.toBe(e.secret);
    const svg = await qrSvg(e.uri);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>\n?$/s);
  });

  it('saves the key only when confirmed by a right code, and that code cannot be replayed', async () => {
    const { service, clock } = setup();
    const e = service.createEnrollment('john');
    expect(await service.confirm(e, wrong(codeAt(e, clock.now())))).toBe(false);
    expect(await service.info('john')).toBeUndefined();
    const code = codeAt(e, clock.now());
    expect(await service.confirm(e, code)).toBe(true);
    expect(await service.info('john')).toEqual({
      username: 'john',
      issuer: 'Gatehouse',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      createdAt: clock.now(),
      lastUsedAt: undefined,
    });
    expect(await service.verify('john', code)).toBe(false);
  });

  it('parses base32 as people type it, and refuses what is not base32', () => {
    expect(parseBase32Secret('gezd gnbv-gy3t qojq')).toEqual(Buffer.from('1234567890'));
    expect(parseBase32Secret('GEZDGNBVGY3TQOJQ====')).toEqual(Buffer.from('1234567890'));
    expect(parseBase32Secret('GEZDGNBVGY3TQOJ1')).toBeUndefined();
    expect(parseBase32Secret('')).toBeUndefined();
  });
});

describe('TOTP verification', () => {
  it.each<[TotpConfig['algorithm'], string, string]>([
    ['SHA1', '12345678901234567890', '94287082'],
    ['SHA256', '12345678901234567890123456789012', '46119246'],
    ['SHA512', '1234567890123456789012345678901234567890123456789012345678901234', '90693936'],
  ])('accepts the RFC 6238 test vector for %s at T=59', async (algorithm, ascii, code) => {
    const { service } = setup({ algorithm, digits: 8, skew: 0 }, 59_000);
    await service.save(createEnrollment('john', { ...defaults, algorithm, digits: 8 }, systemRandom, Buffer.from(ascii)));
    expect(await service.verify('john', wrong(code))).toBe(false);
    expect(await service.verify('john', code)).toBe(true);
  });

  it('accepts codes within skew periods, each once; refuses wrong, malformed and unknown', async () => {
    const { service, clock } = setup();
    const e = service.createEnrollment('john');
    await service.save(e);
    const now = clock.now();
    expect(await service.verify('john', codeAt(e, now - 60_000))).toBe(false);
    expect(await service.verify('john', codeAt(e, now + 60_000))).toBe(false);
    expect(await service.verify('john', codeAt(e, now - 30_000))).toBe(true);
    expect(await service.verify('john', codeAt(e, now))).toBe(true);
    expect(await service.verify('john', codeAt(e, now))).toBe(false);
    expect(await service.verify('john', codeAt(e, now + 30_000))).toBe(true);
    expect(await service.verify('john', codeAt(e, now + 30_000))).toBe(false);
    clock.advance(30_000);
    expect(await service.verify('john', codeAt(e, clock.now()))).toBe(false);
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 12345']) expect(await service.verify('john', bad)).toBe(false);
    expect(await service.verify('harry', codeAt(e, now))).toBe(false);
    expect((await service.info('john'))?.lastUsedAt).toBe(now);
  });

  it('allows reuse only with disable_reuse_security_policy', async () => {
    const { service, clock, withConfig } = setup();
    const e = service.createEnrollment('john');
    await service.save(e);
    const lax = withConfig({ disableReuseSecurityPolicy: true });
    const code = codeAt(e, clock.now());
    expect(await lax.verify('john', code)).toBe(true);
    expect(await lax.verify('john', code)).toBe(true);
  });

  it('keeps working with the settings it was enrolled with after the configuration changes', async () => {
    const { service, clock, withConfig } = setup();
    const e = service.createEnrollment('john');
    await service.save(e);
    const changed = withConfig({ algorithm: 'SHA512', digits: 8, period: 60 });
    expect(await changed.verify('john', codeAt(e, clock.now()))).toBe(true);
  });

  it('stores the secret encrypted, and refuses a tampered or moved ciphertext', async () => {
    const { service, storage, clock } = setup();
    const e = service.createEnrollment('john');
    await service.save(e);
    await service.save({ ...service.createEnrollment('harry') });
    const row = storage.db.prepare("SELECT secret FROM totp_configurations WHERE username = 'john'").get() as { secret: Buffer };
    const raw = parseBase32Secret(e.secret)!;
    expect(row.secret.includes(raw)).toBe(false);
    expect(row.secret.toString('latin1')).not.toContain(e.secret);

    storage.db.prepare("UPDATE totp_configurations SET secret = ? WHERE username = 'harry'").run(row.secret);
    await expect(service.verify('harry', codeAt(e, clock.now()))).rejects.toMatchObject({ code: 'GH_STORAGE_DECRYPT' });

    const tampered = Buffer.from(row.secret);
    tampered[20] = tampered[20]! ^ 1;
    storage.db.prepare("UPDATE totp_configurations SET secret = ? WHERE username = 'john'").run(tampered);
    const error = await service.verify('john', codeAt(e, clock.now())).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe('GH_STORAGE_DECRYPT');
  });

  it('deletes a key', async () => {
    const { service, clock } = setup();
    const e = service.createEnrollment('john');
    await service.save(e);
    expect(await service.delete('john')).toBe(true);
    expect(await service.delete('john')).toBe(false);
    expect(await service.verify('john', codeAt(e, clock.now()))).toBe(false);
  });
});
