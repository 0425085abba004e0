// Which EAL arguments dataplane.extraEalArgs may add. EAL runs as root and some of its options
// reach past every other check: --vdev makes devices around the devargs allow-list (a pcap that
// opens any file), -d loads a shared object, -a/-b probe PCI functions the daemon never attached,
// --file-prefix, --lcores and --in-memory undo what the daemon sets itself. So only options an
// operator tunes memory, logging or VFIO with are allowed, each value of a known form.

/** How an allowed option's value is checked; 'flag' takes none. */
type EalValue = 'flag' | RegExp;

const UINT = /^\d{1,9}$/;
const PER_SOCKET_MB = /^\d{1,9}(,\d{1,9}){0,15}$/;

export const ALLOWED_EAL_OPTIONS: Record<string, { value: EalValue; what: string }> = {
  '--log-level': {
    value: /^([A-Za-z0-9_.*]+:)?([a-z]+|[1-8])$/,
    what: 'a level, or a component and a level (pmd.net.tap:debug)',
  },
  '--syslog': { value: /^[a-z0-9]{1,16}$/, what: 'a syslog facility' },
  '-n': { value: UINT, what: 'the number of memory channels' },
  '-m': { value: UINT, what: 'memory in MB' },
  '--socket-mem': { value: PER_SOCKET_MB, what: 'MB per NUMA socket, like 1024,1024' },
  '--socket-limit': { value: PER_SOCKET_MB, what: 'MB per NUMA socket, like 2048,2048' },
  '--huge-dir': { value: /^\/[A-Za-z0-9_./-]{0,200}$/, what: 'a hugetlbfs mount point' },
  '--legacy-mem': { value: 'flag', what: '' },
  '--single-file-segments': { value: 'flag', what: '' },
  '--iova-mode': { value: /^(pa|va)$/, what: 'pa or va' },
  '--vfio-intr': { value: /^(legacy|msi|msix)$/, what: 'legacy, msi or msix' },
  '--vfio-vf-token': { value: /^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/, what: 'a UUID' },
  '--no-telemetry': { value: 'flag', what: '' },
};

// Refused with the reason and what to use instead (anything else unknown is refused too).
const REFUSED_EAL_OPTIONS: Record<string, string> = {
  '--vdev': 'makes a device around the devargs allow-list; give it as a group uplink',
  '-d': 'loads a shared object into the root daemon',
  '-a': 'probes PCI functions the daemon did not attach; give a device as a group uplink',
  '--allow': 'probes PCI functions the daemon did not attach; give a device as a group uplink',
  '-b': 'changes which PCI functions EAL probes; give a device as a group uplink',
  '--block': 'changes which PCI functions EAL probes; give a device as a group uplink',
  '--file-prefix': 'is set by dataplane.filePrefix',
  '-l': 'lcores are set by dataplane.workerCpus',
  '-c': 'lcores are set by dataplane.workerCpus',
  '--lcores': 'lcores are set by dataplane.workerCpus',
  '--main-lcore': 'lcores are set by dataplane.workerCpus',
  '--in-memory': 'is set by the daemon',
  '--proc-type': 'the daemon is a primary process of its own',
  '--telemetry': 'opens a socket that answers anyone who can reach it',
  '--trace-dir': 'writes files where it is told',
};

function splitOption(arg: string): { name: string; inline?: string } {
  if (arg.startsWith('--')) {
    const equals = arg.indexOf('=');
    return equals < 0 ? { name: arg } : { name: arg.slice(0, equals), inline: arg.slice(equals + 1) };
  }
  // A short option's value may follow it directly: -n4.
  return arg.length > 2 ? { name: arg.slice(0, 2), inline: arg.slice(2) } : { name: arg };
}

/** What is wrong with `args` as extraEalArgs: [index of the argument, sentence] each. */
export function extraEalArgsProblems(args: readonly string[]): Array<[number, string]> {
  const problems: Array<[number, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const { name, inline } = splitOption(args[i]);
    const rule = ALLOWED_EAL_OPTIONS[name];
    if (!rule) {
      const refused = REFUSED_EAL_OPTIONS[name];
      const allowed = Object.keys(ALLOWED_EAL_OPTIONS).join(', ');
      problems.push([
        i,
        refused
          ? `EAL option ${name} is refused: it ${refused}`
          : `${JSON.stringify(args[i])} is not an EAL option allowed here; allowed: ${allowed}`,
      ]);
      // Its values, one problem is enough.
      while (i + 1 < args.length && !args[i + 1].startsWith('-')) i++;
      continue;
    }
    if (rule.value === 'flag') {
      if (inline !== undefined) problems.push([i, `EAL option ${name} takes no value`]);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || !rule.value.test(value))
      problems.push([i, `EAL option ${name} needs ${rule.what}, not ${JSON.stringify(value ?? '')}`]);
  }
  return problems;
}
