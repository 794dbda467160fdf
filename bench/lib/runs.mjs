// `--runs N` for benchmarks that take no other option (a helper, not a benchmark: run.mjs only
// runs the .mjs files directly in bench/).
import {parseArgs} from 'node:util';

/** The number of timed runs from `--runs N` (default `fallback`); bad input exits 2 with usage. */
export function runsOption(name, fallback) {
  const usage = `usage: node bench/${name}.mjs [--runs N]`;
  let values;
  try {
    ({values} = parseArgs({options: {runs: {type: 'string'}}, strict: true}));
  } catch (err) {
    console.error(`${name}: ${err.message}\n${usage}`);
    process.exit(2);
  }
  if (values.runs === undefined) return fallback;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`${name}: --runs needs a whole number ≥ 1, got ${values.runs}\n${usage}`);
    process.exit(2);
  }
  return runs;
}
