// Loaded into the sanitized daemon with `node --require` (lab/sanitizer-env.ts): libasan is in
// by now, and the programs the daemon runs (ip, to put taps into bridges) must not preload it
// too; their own leaks at exit would read as the daemon's reports.
delete process.env.LD_PRELOAD;
