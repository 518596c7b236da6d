import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const here = (file) => fileURLToPath(new URL(file, import.meta.url));

const run = promisify(execFile);

/**
 * Runs `child` (with --expose-gc) in `processes` fresh processes for each of `envs`, the envs
 * alternating so that a slow spell of the machine falls on all alike. Each process prints one JSON
 * line; returns, for each env, what its processes printed.
 */
export async function inFreshProcesses({ child, envs, processes, node = process.execPath, timeoutMs }) {
  const printed = envs.map(() => []);
  for (let i = 0; i < processes; i++) {
    for (const [index, env] of envs.entries()) {
      const { stdout } = await run(node, ['--expose-gc', child], {
        env: { PATH: process.env.PATH, ...env },
        timeout: timeoutMs,
      });
      printed[index].push(JSON.parse(stdout));
    }
  }
  return printed;
}

/**
 * Starts a Node script pinned to `cpu` (when taskset exists), or under `launcher` (a command and
 * its arguments that run Node, such as valgrind), and reads JSON lines from its stdout. `node` is
 * the Node binary, this one's unless given.
 * `ask(line)` writes a command to its stdin and resolves with the next JSON line it prints.
 */
export async function startNode(
  script,
  {
    args = [],
    env = {},
    cpu,
    launcher,
    node = process.execPath,
    nodeArgs = [],
    firstLineTimeoutMs = 60_000,
  } = {},
) {
  const prefix = launcher ?? (cpu === undefined ? [] : ['taskset', '-c', String(cpu)]);
  const [command, ...commandArgs] = [...prefix, node, ...nodeArgs, script, ...args];
  const child = spawn(command, commandArgs, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // Each waiter is { deliver, fail }, in the order the lines will come.
  const waiting = [];
  const queued = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const next = waiting.shift();
    if (next) next.deliver(value);
    else queued.push(value);
  });
  // A child that dies (a server that throws at startup) fails whoever waits on it at once, with
  // its exit status, rather than after the timeout.
  let exitedWith;
  const nextLine = (timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      if (queued.length > 0) return resolve(queued.shift());
      if (exitedWith !== undefined) return reject(new Error(`${script} ${exitedWith}`));
      const waiter = {
        deliver(value) {
          clearTimeout(timer);
          resolve(value);
        },
        fail(error) {
          clearTimeout(timer);
          const at = waiting.indexOf(waiter);
          if (at >= 0) waiting.splice(at, 1);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => waiter.fail(new Error(`${script} said nothing within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiting.push(waiter);
    });
  // 'close', not 'exit': by then every line the child wrote has been read.
  child.once('close', (code, signal) => {
    exitedWith = `exited (${signal ?? `code ${code}`}) before it answered`;
    for (const waiter of [...waiting]) waiter.fail(new Error(`${script} ${exitedWith}`));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    first: await nextLine(firstLineTimeoutMs),
    ask(line, timeoutMs) {
      child.stdin.write(`${line}\n`);
      return nextLine(timeoutMs);
    },
    nextLine,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the load generator once and returns autocannon's summary. */
export async function load(url, seconds, { cpu, connections = 50 } = {}) {
  const runner = await startNode(here('./load.mjs'), {
    args: [url, String(seconds), String(connections)],
    cpu,
  });
  return runner.first;
}

export const median = (values) => {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
