// The CLI's exit statuses, for scripts and service managers. A configuration error has its own
// (sysexits' EX_CONFIG), so that systemd can be told not to restart into the same mistake
// (RestartPreventExitStatus=78).
export const EXIT = {
  ok: 0,
  /** The daemon refused the request, or the daemon failed at run time. */
  refused: 1,
  /** Wrong usage of the command line. */
  usage: 2,
  /** No daemon answered on the control socket. */
  unreachable: 3,
  /** The configuration file is wrong: fix it, a restart will not help. */
  config: 78,
} as const;
