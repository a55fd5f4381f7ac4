import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPolicyFile } from '../../src/config/access-control-files.js';
import { loadConfig } from '../../src/config/load.js';
import { Problems } from '../../src/config/problems.js';
import { compileRules, runCase } from '../../src/rules/index.js';

// Runs the cases of every policy file in rules/ against the demo configuration that loads them.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const files = readdirSync(join(root, 'rules'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(root, 'rules', f));
const { config } = loadConfig(join(root, 'config.example.yml'), {});
const rules = compileRules(config.accessControl);

describe('rules/*.yml cases', () => {
  it('every policy file is loaded by config.example.yml', () => {
    expect(files.length).toBeGreaterThan(0);
    expect([...config.accessControl.rulesFiles].sort()).toEqual([...files].sort());
  });

  for (const file of files) {
    const problems = new Problems();
    const ctx = { problems, env: {}, baseDir: root };
    const read = readPolicyFile(ctx, file, { networks: new Map(Object.entries(config.definitions.network)) });
    describe(file.slice(root.length + 1), () => {
      it('is valid and has cases', () => {
        expect(problems.errors).toEqual([]);
        expect(read?.tests.length).toBeGreaterThan(0);
      });
      for (const testCase of read?.tests ?? []) {
        it(`${testCase.source} ${testCase.name ?? testCase.url} → ${testCase.expect}`, () => {
          const result = runCase(rules, testCase);
          expect({ passed: result.passed, decidedBy: result.decidedBy }).toMatchObject({ passed: true });
        });
      }
    });
  }
});
