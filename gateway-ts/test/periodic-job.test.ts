import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeriodicJob } from '../src/utils/periodic-job';

/** A promise the test settles. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
}

/** Resolves once `test` holds, failing after 5 s. */
async function until(test: () => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setImmediate(ok));
  }
}

const unexpected = (err: unknown) => assert.fail(`a timed run failed: ${String(err)}`);

describe(PeriodicJob.name, () => {
  it('joins a run in progress instead of starting a second, and runs again once it is over', async () => {
    let runs = 0;
    let gate = deferred<number>();
    const sut = new PeriodicJob(() => (runs++, gate.promise), unexpected);
    const first = sut.run();
    const second = sut.run();
    gate.resolve(7);
    assert.deepEqual(await Promise.all([first, second]), [7, 7]);
    assert.equal(runs, 1);
    gate = deferred<number>();
    const third = sut.run();
    gate.resolve(8);
    assert.equal(await third, 8);
    assert.equal(runs, 2);
  });

  it('gives a direct caller the failure, and the next run starts afresh', async () => {
    let fail = true;
    const sut = new PeriodicJob(async () => {
      if (fail) throw new Error('database down');
      return 'ok';
    }, unexpected);
    await assert.rejects(sut.run(), /database down/);
    fail = false;
    assert.equal(await sut.run(), 'ok');
  });

  it('runs on its timer, reports failures there, and stop() waits for the run in progress', async () => {
    const errors: unknown[] = [];
    // Each run waits on a gate of its own, which the test settles.
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const sut = new PeriodicJob(
      () => {
        gates.push(deferred<void>());
        return gates[gates.length - 1].promise;
      },
      (err) => errors.push(err),
    );
    sut.start(5);
    await until(() => gates.length === 1, 'the first timed run');
    gates[0].reject(new Error('boom'));
    await until(() => errors.length === 1, 'the failure to be reported');
    assert.match(String(errors[0]), /boom/);
    await until(() => gates.length === 2, 'the next timed run');
    let stopped = false;
    const stopping = sut.stop().then(() => (stopped = true));
    await new Promise((ok) => setImmediate(ok));
    assert.equal(stopped, false, 'stop() returned while a run was going');
    gates[1].resolve();
    await stopping;
    // An observation window of several intervals: nothing is to happen in it.
    await new Promise((ok) => setTimeout(ok, 25));
    assert.equal(gates.length, 2, 'no run after stop()');
  });
});
