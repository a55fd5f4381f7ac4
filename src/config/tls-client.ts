import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readMapping, readSecret, readString } from './reader.js';

/** A TLS protocol version as Node names it. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * Authelia's common `tls` structure for connections Gatehouse makes to a backend (Redis here):
 * how the server is verified and, optionally, the client certificate for mutual TLS.
 */
export interface TlsClientConfig {
  /** The name checked against the server's certificate (and sent as SNI). */
  readonly serverName: string | undefined;
  /** Whether the server's certificate goes unverified (never advisable). */
  readonly skipVerify: boolean;
  readonly minimumVersion: TlsVersion;
  readonly maximumVersion: TlsVersion;
  /** PEM: the client certificate, then its issuers (mutual TLS); set together with `privateKey`. */
  readonly certificateChain: string | undefined;
  /** PEM: the private key of the chain's first certificate (a secret). */
  readonly privateKey: string | undefined;
  /** PEM: the certificate authorities trusted (Node's roots and `certificates_directory`'s); absent: Node's roots. */
  readonly ca?: readonly string[];
}

const versionNames = ['TLS1.0', 'TLS1.1', 'TLS1.2', 'TLS1.3'] as const;
const nodeVersions: Readonly<Record<(typeof versionNames)[number], TlsVersion>> = {
  'TLS1.0': 'TLSv1',
  'TLS1.1': 'TLSv1.1',
  'TLS1.2': 'TLSv1.2',
  'TLS1.3': 'TLSv1.3',
};

/**
 * Reads a `tls` mapping at `path`; undefined when absent (no TLS). `server_name` defaults to
 * `defaultServerName` (the host connected to); `minimum_version` to TLS1.2, `maximum_version`
 * to TLS1.3. A certificate chain and private key must come together, parse, and match.
 */
export function readTlsClient(ctx: ReadContext, path: string, value: unknown, defaultServerName: string | undefined): TlsClientConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = readMapping(ctx, path, value, ['server_name', 'skip_verify', 'minimum_version', 'maximum_version', 'certificate_chain', 'private_key']);
  if (!raw) return undefined;
  const minAt = keyPath(path, 'minimum_version');
  const min = readChoice(ctx, minAt, raw.minimum_version, versionNames, 'TLS1.2');
  const max = readChoice(ctx, keyPath(path, 'maximum_version'), raw.maximum_version, versionNames, 'TLS1.3');
  if (versionNames.indexOf(min) > versionNames.indexOf(max)) {
    ctx.problems.error(minAt, `must not be above maximum_version ('${max}') but is '${min}'`);
  }
  const { certificateChain, privateKey } = readClientCertificate(ctx, path, raw.certificate_chain, raw.private_key);
  return {
    serverName: readString(ctx, keyPath(path, 'server_name'), raw.server_name) ?? defaultServerName,
    skipVerify: readBoolean(ctx, keyPath(path, 'skip_verify'), raw.skip_verify, false),
    minimumVersion: nodeVersions[min],
    maximumVersion: nodeVersions[max],
    certificateChain,
    privateKey,
    ...(ctx.trustedAuthorities ? { ca: ctx.trustedAuthorities } : {}),
  };
}

function readClientCertificate(
  ctx: ReadContext,
  path: string,
  chainValue: unknown,
  keyValue: unknown,
): Pick<TlsClientConfig, 'certificateChain' | 'privateKey'> {
  const chainAt = keyPath(path, 'certificate_chain');
  const keyAt = keyPath(path, 'private_key');
  const chain = readString(ctx, chainAt, chainValue);
  const key = readSecret(ctx, keyAt, keyValue);
  if (chain === undefined && key === undefined) return { certificateChain: undefined, privateKey: undefined };
  if (chain === undefined || key === undefined) {
    const [missing, other] = chain === undefined ? [chainAt, 'private_key'] : [keyAt, 'certificate_chain'];
    ctx.problems.error(missing, `must be set when ${other} is set (mutual TLS needs both) but is absent`);
    return { certificateChain: undefined, privateKey: undefined };
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(chain);
  } catch {
    ctx.problems.error(chainAt, "must hold PEM certificates ('-----BEGIN CERTIFICATE-----' …) but cannot be read as one");
    return { certificateChain: undefined, privateKey: undefined };
  }
  let parsed: KeyObject;
  try {
    parsed = createPrivateKey(key);
  } catch {
    ctx.problems.error(keyAt, "must be a PEM private key ('-----BEGIN PRIVATE KEY-----' …) but cannot be read as one");
    return { certificateChain: undefined, privateKey: undefined };
  }
  if (!certificate.checkPrivateKey(parsed)) {
    ctx.problems.error(keyAt, 'must be the private key of the first certificate of certificate_chain but is another key');
  }
  return { certificateChain: chain, privateKey: key };
}
