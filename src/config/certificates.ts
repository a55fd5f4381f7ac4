import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe } from './problems.js';
import { type ReadContext, fsReason, readPath } from './reader.js';

/** `certificates_directory`: the folder, and the certificate authorities found in it (PEM, in file name order). */
export interface CertificatesConfig {
  readonly directory: string | undefined;
  readonly authorities: readonly string[];
}

/** The file names Authelia reads in the folder (case-insensitive); other files and sub-folders are ignored. */
const certificateFile = /\.(?:pem|crt|cer)$/i;
const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads `certificates_directory`: every `.pem`, `.crt` and `.cer` file in it (not recursive) must hold one or
 * more PEM certificates; a file that does not is an error naming it.
 */
export function readCertificatesDirectory(ctx: ReadContext, value: unknown): CertificatesConfig {
  const path = 'certificates_directory';
  const directory = value === '' ? undefined : readPath(ctx, path, value);
  if (directory === undefined) return { directory: undefined, authorities: [] };
  let names: string[];
  try {
    names = readdirSync(directory, { withFileTypes: true })
      .filter((e) => !e.isDirectory() && certificateFile.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    ctx.problems.error(path, `must be a readable folder but ${fsReason(error)} (${describe(value)})`);
    return { directory, authorities: [] };
  }
  const authorities = names.flatMap((name) => readCertificateFile(ctx, path, join(directory, name)));
  return { directory, authorities };
}

function readCertificateFile(ctx: ReadContext, path: string, file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    ctx.problems.error(path, `the file '${file}' must be readable but ${fsReason(error)}`);
    return [];
  }
  const blocks = text.match(pemCertificate) ?? [];
  if (blocks.length === 0) {
    ctx.problems.error(path, `the file '${file}' must hold PEM certificates ('-----BEGIN CERTIFICATE-----' …) but holds none`);
    return [];
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      ctx.problems.error(
        path,
        `the file '${file}' must hold valid PEM certificates but its certificate #${index + 1} cannot be read (${(error as Error).message})`,
      );
      return [];
    }
  }
  return blocks;
}

/**
 * The certificate authorities outgoing TLS trusts: Node's built-in roots plus `certificates_directory`'s, as
 * Authelia adds its folder to the system pool; `undefined` (Node's default) when the folder adds none.
 */
export function trustedAuthorities(config: CertificatesConfig): readonly string[] | undefined {
  return config.authorities.length === 0 ? undefined : [...rootCertificates, ...config.authorities];
}
