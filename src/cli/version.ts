import { readFileSync } from 'node:fs';

/** The version in package.json (two folders up from both src/cli and dist/cli). */
export const appVersion: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
