// node:test reporter that ends the run with one line: "N passed, M failed".
// Suites (describe blocks) are not counted, only the tests in them.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    if (ev.data.details?.type === 'suite') continue;
    if (ev.type === 'test:pass' && !ev.data.skip && !ev.data.todo) passed++;
    else if (ev.type === 'test:fail') failed++;
  }
  yield `${passed} passed, ${failed} failed\n`;
}
