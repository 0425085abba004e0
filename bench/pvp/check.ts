// The PVP recipe's dry run (npm run bench:pvp-check): what can be checked without TRex, a NIC
// or a guest. The TRex profile is parsed by python3's ast (never run): its entry points, that
// every name it reads is defined or imported from TRex's API, RFC 2544's sizes and IMIX, and
// that it sends to the guest MACs daemon.yaml gives its groups. daemon.yaml is validated against
// the daemon's schema and rules; the QEMU and guest scripts are syntax-checked by sh -n, and
// QEMU's ports must carry those MACs on those sockets.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { validateConfig } from '../../src/config';

export const PVP_DIR = path.resolve(__dirname, '..', '..', '..', 'bench', 'pvp');

interface ProfileFields {
  imported: Record<string, string>;
  constants: Record<string, unknown>;
  classes: Record<string, Record<string, { args: string[]; defaults: unknown[]; kwargs: boolean }>>;
  functions: string[];
  undefined: string[];
  calls: string[];
}

const TREX_API = ['STLStream', 'STLPktBuilder', 'STLTXCont', 'STLProfile', 'STLFlowLatencyStats'];
const RFC2544_SIZES = [64, 128, 256, 512, 1024, 1280, 1518];
const IMIX = [
  [64, 7],
  [570, 4],
  [1518, 1],
];

function profileProblems(fields: ProfileFields, guestMacs: string[]): string[] {
  const problems: string[] = [];
  if (!fields.functions.includes('register')) problems.push('no register(): TRex loads a profile through it');
  const getStreams = Object.values(fields.classes).find((methods) => methods.get_streams)?.get_streams;
  if (!getStreams) problems.push('no class with get_streams()');
  else {
    if (getStreams.args[1] !== 'direction' || getStreams.defaults[0] !== 0)
      problems.push('get_streams(self, direction=0, ...): TRex passes the direction first');
    if (!getStreams.kwargs) problems.push('get_streams takes no **kwargs: TRex passes port_id and tunables');
  }
  for (const name of TREX_API)
    if (!['trex.stl.api', 'trex_stl_lib.api'].includes(fields.imported[name]))
      problems.push(`${name} is not imported from trex.stl.api`);
  if (fields.undefined.length > 0) problems.push(`names read but never defined: ${fields.undefined.join(', ')}`);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(fields.constants.RFC2544_SIZES, RFC2544_SIZES)) problems.push(`RFC2544_SIZES is not ${RFC2544_SIZES}`);
  if (!same(fields.constants.IMIX, IMIX)) problems.push('IMIX is not 7:4:1 of 64, 570 and 1518 bytes');
  if (fields.constants.FCS_BYTES !== 4) problems.push('FCS_BYTES is not 4');
  if (!same(fields.constants.GUEST_MACS, guestMacs))
    problems.push(
      `GUEST_MACS ${JSON.stringify(fields.constants.GUEST_MACS)} are not daemon.yaml's ${JSON.stringify(guestMacs)}`,
    );
  return problems;
}

function qemuProblems(script: string, groups: Array<{ mac: string; vhost: { socket: string } }>): string[] {
  const problems: string[] = [];
  const run = /^RUN=(\S+)$/m.exec(script)?.[1] ?? '';
  for (const group of groups) {
    if (!script.includes(`mac=${group.mac}`)) problems.push(`qemu-guest.sh has no port with mac=${group.mac}`);
    const socket = group.vhost.socket.replace(`${run}/`, '$RUN/');
    if (!script.includes(`path=${socket},server=on`))
      problems.push(`qemu-guest.sh serves no vhost-user socket at ${group.vhost.socket}`);
  }
  return problems;
}

/** Every problem found in the recipe's files; empty when the dry run passes. */
export function pvpProblems(dir = PVP_DIR): string[] {
  const problems: string[] = [];
  const raw = YAML.parse(fs.readFileSync(path.join(dir, 'daemon.yaml'), 'utf8'));
  try {
    validateConfig(raw, 'daemon.yaml');
  } catch (err) {
    problems.push((err as Error).message);
  }
  // As written, so a file the schema refuses still has its MACs compared.
  const groups = (raw?.groups ?? []) as Array<{ mac: string; vhost: { socket: string } }>;
  const guestMacs = groups.map((group) => group.mac);
  const fields = JSON.parse(
    execFileSync('python3', [path.join(dir, 'profile_fields.py'), path.join(dir, 'trex_pvp.py')], { encoding: 'utf8' }),
  ) as ProfileFields;
  problems.push(...profileProblems(fields, guestMacs).map((p) => `trex_pvp.py: ${p}`));
  for (const script of ['qemu-guest.sh', 'guest-testpmd.sh'])
    try {
      execFileSync('sh', ['-n', path.join(dir, script)], { stdio: 'pipe' });
    } catch (err) {
      problems.push(`${script}: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`);
    }
  problems.push(...qemuProblems(fs.readFileSync(path.join(dir, 'qemu-guest.sh'), 'utf8'), groups));
  return problems;
}

if (require.main === module) {
  const problems = pvpProblems();
  for (const problem of problems) console.error(problem);
  console.log(
    problems.length === 0 ? 'PVP recipe: profile, configuration and scripts check out' : `${problems.length} problems`,
  );
  process.exit(problems.length === 0 ? 0 : 1);
}
