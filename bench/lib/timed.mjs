// Child processes for the build benchmarks (build-vs-packer, cloud-vs-packer): each output line
// timestamped as it arrives, and Ctrl-C / SIGTERM handled so the running build cleans up first.
import {spawn} from 'node:child_process';

/** `interrupted`: a signal arrived (stop after the running child); `current`: that child, if any. */
export const run = {interrupted: false, current: null};

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    // Ctrl-C in a terminal reaches the child too (same process group); a SIGTERM sent to us
    // alone is passed on. Either way: let the child clean up, then we clean up and exit 130.
    run.interrupted = true;
    if (sig === 'SIGTERM' && run.current) run.current.kill('SIGTERM');
  });
}

/** Run a command, timestamping each output line as it arrives (ms since spawn). */
export function timed(cmd, args, options) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const lines = [];
    const child = spawn(cmd, args, {...options, stdio: ['ignore', 'pipe', 'pipe']});
    run.current = child;
    const split = (stream) => {
      let buf = '';
      child[stream].on('data', (d) => {
        const t = performance.now() - t0;
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop();
        for (const l of parts) lines.push({t, l, stream});
      });
      child[stream].on('end', () => {
        if (buf) lines.push({t: performance.now() - t0, l: buf, stream});
      });
    };
    split('stdout');
    split('stderr');
    child.on('error', (err) => lines.push({t: performance.now() - t0, l: String(err), stream: 'stderr'}));
    child.on('close', (code, signal) => {
      run.current = null;
      resolve({code, signal, ms: performance.now() - t0, lines});
    });
  });
}
