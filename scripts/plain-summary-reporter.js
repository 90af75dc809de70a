// Ends a jest run with one plain line, "jest: N passed, N failed", that CI tooling can read.
// With CITUS_TEST_TALLY set to a file, also appends "passed failed skipped" to it, so .ci/run can
// add up its tiers.
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export default class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    process.stdout.write(`${skipped > 0 ? `${line}, ${skipped} skipped` : line}\n`);
    if (process.env.CITUS_TEST_TALLY) {
      appendFileSync(process.env.CITUS_TEST_TALLY, `${results.numPassedTests} ${results.numFailedTests} ${skipped}\n`);
    }
  }
}
