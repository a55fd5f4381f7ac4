import { keyPath } from './problems.js';
import { type ReadContext, readChoice, readMapping, readString } from './reader.js';

export interface PortalConfig {
  /** The product name the portal shows (`portal.title`, default `Gatehouse`). */
  readonly title: string;
  /** `theme`: `light`, `dark` or `auto` (follow the device; Authelia's `grey` reads as `dark`). */
  readonly theme: 'light' | 'dark' | 'auto';
}

/** Reads `portal` and the top-level `theme` (Authelia's key). */
export function readPortal(ctx: ReadContext, portal: unknown, theme: unknown): PortalConfig {
  const raw = readMapping(ctx, 'portal', portal, ['title']) ?? {};
  const title = readString(ctx, keyPath('portal', 'title'), raw.title) ?? 'Gatehouse';
  if (title.length > 60) ctx.problems.error('portal.title', `must be at most 60 characters but is ${title.length} characters`);
  const chosen = readChoice(ctx, 'theme', theme, ['light', 'dark', 'grey', 'auto'] as const, 'auto');
  return { title, theme: chosen === 'grey' ? 'dark' : chosen };
}
