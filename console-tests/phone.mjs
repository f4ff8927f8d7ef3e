// A phone beside the browser: the real phone core (`core/examples/phone.rs`, built by
// scripts/test-console) over its own SQLite file in a directory of its own, enrolling with the
// depot under test and syncing through its sync API as the app does. Each call runs the program
// once and returns the JSON it printed; a failure throws with what it printed on stderr.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the console tests with scripts/test-console`);
  return value;
}

export class Phone {
  constructor() {
    this.program = setting('CONSOLE_PHONE');
    this.dir = mkdtempSync(path.join(tmpdir(), 'fundi-phone-'));
  }

  /** Run `phone DIR ...args`; its JSON answer. */
  async call(...args) {
    try {
      const { stdout } = await run(this.program, [this.dir, ...args], { timeout: 60_000 });
      return JSON.parse(stdout);
    } catch (e) {
      throw new Error(`phone ${args.join(' ')} failed (${e.code ?? e.message}): ${e.stderr ?? ''}`);
    }
  }

  /** Enroll with a code (the printed card's) at the depot `url`: { account_id, role }. */
  enroll(url, code) {
    return this.call('enroll', url, code);
  }

  /** Push what is queued and pull what changed: { pushed, refused, pulled, pending, wedged }. */
  sync() {
    return this.call('sync');
  }

  /** The orders this phone sees, in their optimistic state. */
  orders() {
    return this.call('orders');
  }

  /** Queue an order command (its code: accept, start_production, mark_ready, rework, ...). */
  command(order, name, reason) {
    return this.call('command', order, name, ...(reason ? [reason] : []));
  }

  /** Forget the phone's files. */
  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
