import ipaddr from 'ipaddr.js';
import { authLevelNames, authLevels } from '../config/access-control-cases.js';
import { AuthLevel, type Subject, compileRules, isAnonymous, isRefusal, outcome, parseTarget } from '../rules/index.js';
import { configFile, configOption, loadConfigOrReport, parseCommandArgs } from './args.js';
import { type CliIO, UsageError, exitCodes } from './io.js';
import { rulesHelp } from './rules-help.js';

/** `gatehouse rules explain`: 0 explained, 1 invalid configuration, 2 usage. */
export async function rulesExplainCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('rules explain', args, {
    config: configOption,
    url: { type: 'string' },
    method: { type: 'string', default: 'GET' },
    user: { type: 'string', default: '' },
    groups: { type: 'string', default: '' },
    ip: { type: 'string' },
    client: { type: 'string', default: '' },
    level: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(rulesHelp);
    return exitCodes.ok;
  }
  const file = configFile('rules explain', values.config, io.env);
  if (values.url === undefined) throw new UsageError('gatehouse rules explain: needs --url URL');
  const subject: Subject = {
    username: values.user,
    groups: values.groups
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== ''),
    ip: values.ip,
    clientId: values.client,
  };
  if (subject.ip !== undefined && !ipaddr.isValid(subject.ip))
    throw new UsageError(`gatehouse rules explain: --ip must be an IP address but is '${subject.ip}'`);
  if (subject.groups.length > 0 && subject.username === '') throw new UsageError('gatehouse rules explain: --groups needs --user');
  const level = readLevel(values.level, subject);
  const config = loadConfigOrReport(file, io)?.config;
  if (!config) return exitCodes.failure;
  const method = values.method.toUpperCase();
  const target = parseTarget(values.url, method);
  const out: string[] = [`request: ${method} ${values.url}`, `subject: ${describeSubject(subject)}, level ${authLevelNames[level]}`];
  if (isRefusal(target)) {
    out.push(`refused: ${target.refused}`, 'outcome: forbidden');
    io.stdout.write(`${out.join('\n')}\n`);
    return exitCodes.ok;
  }
  out.push(`normalised: ${target.domain} ${target.resource}`, '');
  const rules = compileRules(config.accessControl);
  const { rules: verdicts, decision } = rules.explain(subject, target);
  const width = Math.max(0, ...verdicts.map((v) => v.source.length));
  for (const v of verdicts) {
    const status = v.matched
      ? v.index === decision.ruleIndex
        ? 'MATCH  ← decides'
        : 'match  (an earlier rule decides)'
      : `no     ${v.failed?.criterion}: ${v.failed?.actual} does not match ${v.failed?.expected}`;
    out.push(`  ${v.source.padEnd(width)}  ${v.policy.padEnd(10)}  ${status}`);
  }
  if (verdicts.length === 0) out.push('  (no rules)');
  const by = decision.ruleIndex < 0 ? `default_policy` : (verdicts[decision.ruleIndex]?.source ?? '?');
  out.push('', `decision: ${decision.policy} by ${by}${decision.ruleHasSubject ? ' (the rule depends on who asks)' : ''}`);
  out.push(`outcome: ${outcome(decision, level, isAnonymous(subject))}`);
  io.stdout.write(`${out.join('\n')}\n`);
  return exitCodes.ok;
}

function readLevel(text: string | undefined, subject: Subject): AuthLevel {
  const anonymous = isAnonymous(subject);
  if (text === undefined) return anonymous ? AuthLevel.none : subject.username !== '' ? AuthLevel.twoFactor : AuthLevel.oneFactor;
  const name = authLevelNames.find((n) => n === text);
  if (name === undefined) throw new UsageError(`gatehouse rules explain: --level must be one of ${authLevelNames.join(', ')} but is '${text}'`);
  const level = authLevels[name];
  if ((level === AuthLevel.none) !== anonymous) {
    throw new UsageError(`gatehouse rules explain: --level ${text} ${anonymous ? 'needs --user or --client' : "cannot be 'none' with --user or --client"}`);
  }
  return level;
}

function describeSubject(subject: Subject): string {
  if (isAnonymous(subject)) return `anonymous${subject.ip !== undefined ? ` from ${subject.ip}` : ''}`;
  const parts = [
    subject.username !== '' ? `user ${subject.username}` : '',
    subject.groups.length > 0 ? `groups [${subject.groups.join(', ')}]` : '',
    subject.clientId !== '' ? `client ${subject.clientId}` : '',
    subject.ip !== undefined ? `from ${subject.ip}` : '',
  ];
  return parts.filter((p) => p !== '').join(' ');
}
