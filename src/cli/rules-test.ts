import { relative, resolve } from 'node:path';
import { readPolicyFile } from '../config/access-control-files.js';
import type { PolicyCase } from '../config/access-control-cases.js';
import { loadConfig } from '../config/load.js';
import { Problems } from '../config/problems.js';
import { type CaseResult, type RuleSet, compileRules, runCase } from '../rules/index.js';
import { ConfigError } from '../shared/errors.js';
import { configFile, configOption, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';
import { rulesHelp } from './rules-help.js';
import { formatConfigError } from './args.js';

interface Suite {
  readonly label: string;
  readonly rules: RuleSet;
  readonly cases: readonly PolicyCase[];
}

/** `gatehouse rules test [FILES…] [--config FILE]`: 0 all passed, 1 a failure or an invalid file, 2 usage. */
export async function rulesTestCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('rules test', args, { config: configOption, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout.write(rulesHelp);
    return exitCodes.ok;
  }
  const named = values.config !== undefined || io.env.GATEHOUSE_CONFIG !== undefined || io.env.X_AUTHELIA_CONFIG !== undefined;
  const configPath = named ? configFile('rules test', values.config, io.env) : undefined;
  const files = positionals.map((f) => resolve(f));
  if (configPath === undefined && files.length === 0) {
    throw new UsageError('gatehouse rules test: needs policy FILES, or --config FILE to test its rules_files');
  }
  let suites: Suite[];
  try {
    suites = configPath === undefined ? standaloneSuites(files) : configSuites(configPath, files, io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError((configPath ?? files).join(', '), error));
    return exitCodes.failure;
  }
  let failed = 0;
  for (const suite of suites) {
    const results = suite.cases.map((c) => runCase(suite.rules, c));
    const bad = results.filter((r) => !r.passed);
    failed += bad.length;
    for (const result of bad) io.stdout.write(`FAIL ${describeFailure(result)}\n`);
    const summary = bad.length === 0 ? `${results.length} case${results.length === 1 ? '' : 's'} passed` : `${bad.length} of ${results.length} cases failed`;
    io.stdout.write(`${suite.label}: ${suite.cases.length === 0 ? 'no cases' : summary}\n`);
  }
  return failed === 0 ? exitCodes.ok : exitCodes.failure;
}

function configSuites(configPath: readonly string[], files: readonly string[], io: CliIO): Suite[] {
  const { config, warnings } = loadConfig(configPath, io.env);
  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
  const rules = compileRules(config.accessControl);
  const chosen = files.length > 0 ? files : config.accessControl.rulesFiles;
  const problems = new Problems();
  const networks = new Map(Object.entries(config.definitions.network));
  const ctx = { problems, env: io.env, baseDir: resolve(configPath[0] ?? '.', '..') };
  const suites = chosen.map((file) => {
    const read = readPolicyFile(ctx, file, { networks });
    if (read && read.rules.length > 0 && !config.accessControl.rulesFiles.includes(file)) {
      io.stderr.write(`warning: ${file} is not in access_control.rules_files; its cases run against the configuration's rules only\n`);
    }
    return { label: relative(process.cwd(), file), rules, cases: read?.tests ?? [] };
  });
  if (problems.errors.length > 0) throw new ConfigError(problems.errors);
  return suites;
}

function standaloneSuites(files: readonly string[]): Suite[] {
  const problems = new Problems();
  const ctx = { problems, env: {}, baseDir: process.cwd() };
  const suites = files.map((file) => {
    const read = readPolicyFile(ctx, file, { networks: new Map() });
    return { label: relative(process.cwd(), file), rules: compileRules({ defaultPolicy: 'deny', rules: read?.rules ?? [] }), cases: read?.tests ?? [] };
  });
  if (problems.errors.length > 0) throw new ConfigError(problems.errors);
  return suites;
}

function describeFailure(result: CaseResult): string {
  const c = result.case;
  const who = c.user !== '' ? `user ${c.user}${c.groups.length > 0 ? ` [${c.groups.join(', ')}]` : ''}` : c.client !== '' ? `client ${c.client}` : 'anonymous';
  const where = c.ip !== undefined ? ` from ${c.ip}` : '';
  const name = c.name !== undefined ? ` (${c.name})` : '';
  const got = ['allow', 'login', 'forbidden'].includes(c.expect) ? `${result.outcome} (policy ${result.policy})` : result.policy;
  return `${c.source}${name}: ${c.method} ${c.url} as ${who}${where}: expected ${c.expect}, got ${got}, decided by ${result.decidedBy}`;
}
