// Decisions per second of the access-control engine with 10, 1,000 and 10,000 rules that each
// name a distinct exact domain (plus one catch-all `*.example.com` rule at the end), and the
// 10,000/10 ratio, measured in the same run. Runs on the built code:
//   npm run bench:rules            (builds dist/, then runs this file)
//   node bench/rules.mjs           (when dist/ is already built)
import { performance } from 'node:perf_hooks';
import { compileRules, parseTarget } from '../dist/rules/index.js';

const policies = ['bypass', 'one_factor', 'two_factor', 'deny'];
const subject = { username: 'john', groups: ['dev', 'admins'], ip: '10.0.0.8', clientId: '' };

function rule(source, domain, policy) {
  return { source, policy, domain: [domain], domainRegex: [], resources: [], methods: [], networks: [], subject: [], query: [] };
}

function build(count) {
  const rules = Array.from({ length: count }, (_, i) => rule(`rules[${i}]`, `app${i}.example.com`, policies[i % 4]));
  rules.push(rule(`rules[${count}]`, '*.example.com', 'two_factor'));
  return compileRules({ defaultPolicy: 'deny', rules });
}

function targets(spread) {
  // Hits spread over `spread` rules' domains, and misses (1 in 8) that reach the catch-all.
  return Array.from({ length: 1024 }, (_, i) => {
    const n = i % 8 === 7 ? `miss${i}` : `app${Math.floor((i * 7919) % spread)}`;
    return parseTarget(`https://${n}.example.com/some/path?x=1`, 'GET');
  });
}

function measure(count, spread, millis = 600) {
  const rules = build(count);
  const list = targets(spread);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += rules.decide(subject, list[i & 1023]).ruleIndex; // warm-up
  let decisions = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < millis) {
    for (let i = 0; i < 10_000; i++) sink += rules.decide(subject, list[i & 1023]).ruleIndex;
    decisions += 10_000;
    elapsed = performance.now() - start;
  }
  if (sink === 42) console.log('');
  return decisions / (elapsed / 1000);
}

function report(title, spreadFor) {
  console.log(title);
  const results = [10, 1_000, 10_000].map((count) => ({ count, perSecond: measure(count, spreadFor(count)) }));
  for (const { count, perSecond } of results) {
    console.log(`${String(count).padStart(8)} rules: ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} decisions/s`);
  }
  const ratio = results[2].perSecond / results[0].perSecond;
  console.log(`  10,000/10 throughput ratio: ${ratio.toFixed(2)} (1.00 = no slower with 10,000 rules)`);
}

report("Requests spread over every rule's domain (the 10,000-rule set is not cache-resident):", (count) => count);
report('The same request stream for every size (10 hot domains):', () => 10);
