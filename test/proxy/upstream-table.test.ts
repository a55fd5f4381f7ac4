import { describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/proxy.js';
import { UpstreamTable } from '../../src/proxy/upstream-table.js';

const site = (pathPrefix: string, name: string): UpstreamConfig => ({
  domain: 'app.example.com',
  pathPrefix,
  target: new URL(`http://${name}.internal`),
  preserveHost: false,
  websocket: false,
  timeout: 1000,
});

describe('UpstreamTable: routing reads the path the rules judge', () => {
  const table = new UpstreamTable([site('/', 'root'), site('/admin/', 'admin')]);
  const where = (target: string) => table.match('app.example.com', target)?.target.hostname;

  it.each([
    ['/admin/users', 'admin.internal'],
    ['/admin', 'admin.internal'],
    ['/admin?x=1', 'admin.internal'],
    ['/%61dmin/users', 'admin.internal'],
    ['/%61%64%6D%69%6E/users', 'admin.internal'],
    ['//admin/users', 'admin.internal'],
    ['/admin;v=1/users', 'admin.internal'],
    ['/./admin/users', 'admin.internal'],
    ['/administrator', 'root.internal'],
    ['/Admin/users', 'root.internal'],
    ['/', 'root.internal'],
  ])('%s goes to %s', (target, expected) => {
    expect(where(target)).toBe(expected);
  });

  it('a host it does not front is not taken', () => {
    expect(table.match('other.example.com', '/admin/')).toBeUndefined();
  });
});
