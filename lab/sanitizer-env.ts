// The environment the lab starts the daemon with under VHOST_FAILOVER_SANITIZE=1 (set by
// scripts/test-sanitizers): the ASan/UBSan build of the addon, libasan preloaded into Node (the
// sanitizer runtime must be the first library loaded; Node itself is not built with it), and
// every report written to a file in VHOST_FAILOVER_SANITIZER_REPORTS, which the script checks.
// Only the daemon gets it: testpmd, QEMU and the test runner run as they are.
import { execFileSync } from 'child_process';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SanitizerLaunch {
  /** Environment for the daemon. */
  env: NodeJS.ProcessEnv;
  /** Words put just before `node`: the preload for Node alone, not for `ip netns exec`. */
  prefix: string[];
}

export function sanitizerLaunch(): SanitizerLaunch {
  if (process.env.VHOST_FAILOVER_SANITIZE !== '1') return { env: {}, prefix: [] };
  const reports = process.env.VHOST_FAILOVER_SANITIZER_REPORTS ?? path.join(ROOT, 'build', 'sanitizer-reports');
  const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  const env = {
    VHOST_FAILOVER_ADDON: path.join(ROOT, 'build', 'Release', 'vhost_failover_sanitized.node'),
    // Node then drops LD_PRELOAD again for the programs it runs (lab/sanitizer-preload.ts).
    NODE_OPTIONS: `--require ${path.join(__dirname, 'sanitizer-preload.js')}`,
    // Node's own allocator use trips none of these; DPDK's hugepage memory is not ASan's heap and
    // is mapped where ASan leaves room (EAL takes another address than its default hint).
    // A small quarantine: the soak bounds RSS, and ASan keeps freed memory (256 MiB by default).
    ASAN_OPTIONS: `log_path=${reports}/asan:detect_leaks=1:abort_on_error=0:quarantine_size_mb=16`,
    LSAN_OPTIONS: `suppressions=${path.join(ROOT, 'native', 'dpdk', 'sanitize', 'lsan-suppressions.txt')}:print_suppressions=0`,
    UBSAN_OPTIONS: `log_path=${reports}/ubsan:print_stacktrace=1`,
  };
  return { env, prefix: ['env', `LD_PRELOAD=${libasan}`] };
}
