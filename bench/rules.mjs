// Cost per decision of the access-control engine with 10, 1,000 and 10,000 rules that each name a
// distinct exact domain (plus one catch-all `*.example.com` rule at the end), and the 10,000/10
// cost ratio (issue 14: ≤ 1.5 with requests spread over every rule). The sizes are measured
// interleaved, REPS times (default 7), on the same compiled sets; medians with min–max.
//   npm run bench:rules            (builds dist/, then runs this file)
//   node bench/rules.mjs           (when dist/ is already built)
import { performance } from 'node:perf_hooks';
import { compileRules, parseTarget } from '../dist/rules/index.js';

const REPS = Number(process.env.REPS ?? 7);
const MILLIS = Number(process.env.MILLIS ?? 300);
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
  // 4,096 requests spread over `spread` rules' domains, and misses (1 in 8) that reach the catch-all.
  return Array.from({ length: 4096 }, (_, i) => {
    const n = i % 8 === 7 ? `miss${i}` : `app${Math.floor((i * 7919) % spread)}`;
    return parseTarget(`https://${n}.example.com/some/path?x=1`, 'GET');
  });
}

let sink = 0;
/** Nanoseconds per decision over `list` for MILLIS milliseconds. */
function measure(rules, list) {
  let decisions = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MILLIS) {
    for (let i = 0; i < 10_000; i++) sink += rules.decide(subject, list[i & 4095]).ruleIndex;
    decisions += 10_000;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / decisions;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function report(title, spreadFor) {
  const sizes = [10, 1_000, 10_000].map((count) => ({ count, rules: build(count), list: targets(spreadFor(count)), ns: [] }));
  for (const s of sizes) for (let i = 0; i < 3; i++) measure(s.rules, s.list); // warm-up
  for (let rep = 0; rep < REPS; rep++) for (const s of sizes) s.ns.push(measure(s.rules, s.list));
  console.log(title);
  for (const s of sizes) {
    const m = median(s.ns);
    console.log(
      `${String(s.count).padStart(8)} rules: ${m.toFixed(0).padStart(5)} ns per decision (${Math.min(...s.ns).toFixed(0)}–${Math.max(...s.ns).toFixed(0)}), ${Math.round(1e9 / m).toLocaleString('en-US')}/s`,
    );
  }
  const ratios = sizes[2].ns.map((ns, i) => ns / sizes[0].ns[i]);
  const ratio = median(sizes[2].ns) / median(sizes[0].ns);
  console.log(
    `  10,000 ÷ 10 rules, cost per decision: ${ratio.toFixed(2)} (per repetition ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; target ≤ 1.5)`,
  );
}

/**
 * The floor of any exact-domain index in JavaScript: a bare Map from the same domain strings to
 * numbers, looked up with the same request stream — what is left once no rule object is touched.
 */
function mapFloor(spreadFor) {
  const sizes = [10, 10_000].map((count) => {
    const map = new Map(Array.from({ length: count }, (_, i) => [`app${i}.example.com`, i]));
    const list = targets(spreadFor(count)).map((t) => t.domain);
    return { map, list, ns: [] };
  });
  const once = ({ map, list }) => {
    let lookups = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < MILLIS) {
      for (let i = 0; i < 10_000; i++) sink += map.get(list[i & 4095]) ?? 0;
      lookups += 10_000;
      elapsed = performance.now() - start;
    }
    return (elapsed * 1e6) / lookups;
  };
  for (const s of sizes) once(s);
  for (let rep = 0; rep < REPS; rep++) for (const s of sizes) s.ns.push(once(s));
  const [small, large] = sizes.map((s) => median(s.ns));
  console.log(
    `  (floor: a bare Map of 10 vs 10,000 domains, same requests: ${small.toFixed(1)} vs ${large.toFixed(1)} ns per lookup, ${(large / small).toFixed(2)}×)`,
  );
}

console.log(`node ${process.version}, ${REPS} interleaved repetitions of ${MILLIS} ms per size\n`);
report("Requests spread over every rule's domain (the 10,000-rule set is not cache-resident):", (count) => count);
mapFloor((count) => count);
report('The same request stream for every size (10 hot domains):', () => 10);
if (sink === 42) console.log('');
