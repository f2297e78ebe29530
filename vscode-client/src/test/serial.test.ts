/** Restarts serialised: no overlap, and requests waiting their turn are merged. */

import * as assert from "node:assert/strict";
import { Serial } from "../common/serial";

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("serial", () => {
  it("runs jobs one after another, in order", async () => {
    const serial = new Serial();
    const log: string[] = [];
    const first = gate();
    const a = serial.run("start", async () => {
      log.push("start begins");
      await first.promise;
      log.push("start ends");
    });
    const b = serial.run("restart", () => {
      log.push("restart runs");
      return Promise.resolve();
    });
    await Promise.resolve();
    assert.deepEqual(log, ["start begins"]);
    first.open();
    await Promise.all([a, b]);
    assert.deepEqual(log, ["start begins", "start ends", "restart runs"]);
  });

  it("merges restarts asked for while one waits", async () => {
    const serial = new Serial();
    const running = gate();
    let restarts = 0;
    const first = serial.run("restart", async () => {
      restarts += 1;
      await running.promise;
    });
    await Promise.resolve();
    const later = [1, 2, 3].map(() =>
      serial.run("restart", () => {
        restarts += 1;
        return Promise.resolve();
      }),
    );
    running.open();
    await Promise.all([first, ...later]);
    assert.equal(restarts, 2, "the running one, then one for the three that waited");
  });

  it("goes on after a job fails", async () => {
    const serial = new Serial();
    await assert.rejects(serial.run("start", () => Promise.reject(new Error("no server"))), /no server/);
    assert.equal(await serial.run("start", () => Promise.resolve(7)), 7);
  });
});
