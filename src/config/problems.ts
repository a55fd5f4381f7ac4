/**
 * Collects every configuration problem found in one pass, so that all of them can be
 * reported together. Each message starts with the dotted path of the key it is about.
 */
export class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  error(path: string, message: string): void {
    this.errors.push(path === '' ? message : `${path}: ${message}`);
  }

  warn(path: string, message: string): void {
    this.warnings.push(path === '' ? message : `${path}: ${message}`);
  }
}

/** `parent.key`, or `key` at the top. */
export function keyPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** `parent[index]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** How a found value is named in messages: strings quoted, containers by kind. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}
