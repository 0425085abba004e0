// The faults a soak applies, each with its weight: cables pulled and put back (fast flaps too),
// operator commands, planned and surprise removals, a tap deleted under the daemon, guests that
// die and come back in both socket modes, a group added and removed beside the one under
// traffic, and control clients at once, good and bad. Each keeps the soak's model in step.
import path from 'path';
import { exchange, request } from '../../src/control/client';
import { startVm, type TestpmdVm } from '../testpmd-vm';
import type { Topology } from '../topology';
import { waitFor } from '../wait';
import type { LinkModel } from './model';
import type { Random } from './random';

export type FaultKind =
  | 'pull-primary'
  | 'restore-primary'
  | 'flap-primary'
  | 'pull-standby'
  | 'restore-standby'
  | 'pull-both'
  | 'restore-both'
  | 'switch'
  | 'detach-attach'
  | 'surprise-removal'
  | 'delete-primary-tap'
  | 'guest-restart'
  | 'client-mode-guest-restart'
  | 'add-remove-group'
  | 'control-storm';

/** The lab as the faults see it. */
export interface SoakLab {
  t: Topology;
  random: Random;
  model: LinkModel;
  /** The sending guest of vm1 (server mode: the daemon owns the socket). */
  sender: TestpmdVm;
  /** vm2, added and removed at run time: client mode, its guest the socket's server. */
  second: { present: boolean; guest?: TestpmdVm };
  /**
   * "No path" drops may count in this window: both uplinks were down at some moment since the last
   * checkpoint, or the standby went down while the operator's `standby` kept the primary out.
   * (Rule 2 then puts the primary back, but as a policy decision: the frames of one link poll and
   * one trip through the control plane are dropped and counted.)
   */
  noPathAllowed: boolean;
  reconnects: number;
}

export interface Fault {
  kind: FaultKind;
  weight: number;
  /** Whether the fault makes sense in the lab's state now. */
  applies?: (lab: SoakLab) => boolean;
  run: (lab: SoakLab) => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)); // a fault's own timing

function setLink(lab: SoakLab, which: 'primary' | 'standby', up: boolean): void {
  const { t, model } = lab;
  if (which === 'primary' && !model.primaryPresent) return;
  t.netns.setLink(which === 'primary' ? t.primaryTap : t.standbyTap, up ? 'up' : 'down');
  if (which === 'primary') model.primaryUp = up;
  else model.standbyUp = up;
  if (!model.standbyUp && (!(model.primaryPresent && model.primaryUp) || model.command === 'standby'))
    lab.noPathAllowed = true;
}

/** vm2's config: its own taps, kept out of the bridge so vm1's books count only vm1's frames. */
function secondGroup(t: Topology) {
  const suffix = t.primaryTap.slice(3);
  return {
    name: 'vm2',
    mac: '52:54:00:00:0f:02',
    vhost: { socket: path.join(t.dir, 'vm2.sock'), mode: 'client' },
    primary: { devargs: `net_tap2,iface=vfq${suffix}` },
    standby: { devargs: `net_tap3,iface=vfr${suffix}` },
  };
}

async function startSecondGuest(t: Topology): Promise<TestpmdVm> {
  return startVm({
    socket: path.join(t.dir, 'vm2.sock'),
    mac: '52:54:00:00:0f:02',
    filePrefix: `${t.filePrefix}-vm2`,
    mode: 'rxonly',
    vhostServer: true,
  });
}

/** Puts the primary back as the daemon had it: a new tap, in the bridge, up. */
async function reattachPrimary(lab: SoakLab): Promise<void> {
  const { t, model } = lab;
  await request(t.controlSocket, 'attach', { group: 'vm1', devargs: t.group.primary.devargs });
  await waitFor('the primary tap again', () => t.netns.hasLink(t.primaryTap));
  model.primaryPresent = true;
  model.primaryUp = true;
}

export const FAULTS: Fault[] = [
  { kind: 'pull-primary', weight: 10, run: async (lab) => setLink(lab, 'primary', false) },
  { kind: 'restore-primary', weight: 10, run: async (lab) => setLink(lab, 'primary', true) },
  {
    kind: 'flap-primary',
    weight: 6,
    run: async (lab) => {
      for (let flap = lab.random.int(2, 5); flap > 0; flap--) {
        setLink(lab, 'primary', false);
        await sleep(lab.random.int(0, 20));
        setLink(lab, 'primary', true);
        await sleep(lab.random.int(0, 20));
      }
    },
  },
  { kind: 'pull-standby', weight: 6, run: async (lab) => setLink(lab, 'standby', false) },
  { kind: 'restore-standby', weight: 6, run: async (lab) => setLink(lab, 'standby', true) },
  {
    kind: 'pull-both',
    weight: 3,
    run: async (lab) => {
      setLink(lab, 'primary', false);
      setLink(lab, 'standby', false);
    },
  },
  {
    kind: 'restore-both',
    weight: 4,
    run: async (lab) => {
      setLink(lab, 'standby', true);
      setLink(lab, 'primary', true);
    },
  },
  {
    kind: 'switch',
    weight: 8,
    run: async (lab) => {
      const to = lab.random.weighted([
        ['primary', 1],
        ['standby', 1],
        ['auto', 2],
      ] as const);
      await request(lab.t.controlSocket, 'switch', { group: 'vm1', to });
      lab.model.command = to;
    },
  },
  {
    kind: 'detach-attach',
    weight: 5,
    applies: (lab) => lab.model.primaryPresent,
    run: async (lab) => {
      await request(lab.t.controlSocket, 'detach', { group: 'vm1' });
      lab.model.primaryPresent = false;
      if (!lab.model.standbyUp) lab.noPathAllowed = true;
      await sleep(lab.random.int(0, 100));
      await reattachPrimary(lab);
    },
  },
  {
    kind: 'surprise-removal',
    weight: 3,
    applies: (lab) => lab.model.primaryPresent,
    run: async (lab) => {
      const { t, model } = lab;
      await request(t.controlSocket, 'inject-removal', { group: 'vm1' });
      model.primaryPresent = false;
      if (!model.standbyUp) lab.noPathAllowed = true;
      // The daemon closes the removed port and tries the primary again by itself a second later.
      await waitFor('the primary back by itself', async () => (await t.groupStatus()).primary.present, 10000, 50);
      await waitFor('its tap', () => t.netns.hasLink(t.primaryTap));
      model.primaryPresent = true;
      model.primaryUp = true;
    },
  },
  {
    kind: 'delete-primary-tap',
    weight: 2,
    applies: (lab) => lab.model.primaryPresent,
    run: async (lab) => {
      const { t, model } = lab;
      t.netns.ip('link', 'del', t.primaryTap); // the kernel side is gone: it reads as link down
      model.primaryUp = false;
      if (!model.standbyUp) lab.noPathAllowed = true;
      await sleep(lab.random.int(0, 50));
      await request(t.controlSocket, 'detach', { group: 'vm1' });
      model.primaryPresent = false;
      await reattachPrimary(lab);
    },
  },
  {
    kind: 'guest-restart',
    weight: 2,
    run: async (lab) => {
      await lab.sender.kill();
      lab.reconnects++;
      lab.sender = await lab.t.startSender();
    },
  },
  {
    kind: 'client-mode-guest-restart',
    weight: 2,
    applies: (lab) => lab.second.present,
    run: async (lab) => {
      await lab.second.guest?.kill();
      lab.reconnects++;
      lab.second.guest = await startSecondGuest(lab.t);
      await waitFor('the daemon to reach vm2', async () => {
        const [status] = await request(lab.t.controlSocket, 'status', { group: 'vm2' });
        return status.guestConnected;
      });
    },
  },
  {
    kind: 'add-remove-group',
    weight: 3,
    run: async (lab) => {
      const { t, second } = lab;
      if (second.present) {
        await request(t.controlSocket, 'remove-group', { group: 'vm2' });
        second.present = false;
        await second.guest?.stop();
        second.guest = undefined;
        return;
      }
      // The daemon connects as the client: its group first, then the guest that listens (testpmd
      // shows its prompt only once the daemon has connected).
      await request(t.controlSocket, 'add-group', { config: secondGroup(t) });
      second.present = true;
      second.guest = await startSecondGuest(t);
    },
  },
  {
    kind: 'control-storm',
    weight: 4,
    run: async (lab) => {
      const lines = [
        '{"op":"status"}',
        '{"op":"stats","group":"vm1"}',
        '{not json',
        '[1]',
        '{"op":"reboot"}',
        '{"op":"switch","group":"vm9","to":"primary"}',
        '{"op":"attach","group":"vm1","devargs":"net_pcap0,tx_pcap=/etc/passwd"}',
        '{"op":"health"}',
      ];
      const client = async () => {
        for (let i = 0; i < 20; i++)
          await exchange(lab.t.controlSocket, lines[lab.random.int(0, lines.length - 1)], 5000);
      };
      await Promise.all([client(), client(), client(), client()]);
    },
  },
];

export { reattachPrimary, secondGroup };
