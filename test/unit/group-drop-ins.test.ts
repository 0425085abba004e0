// Per-VM drop-ins: groups.d/*.yaml beside the config file, one group each, so that an
// orchestrator writes one file per VM and a reload picks it up.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import { ConfigError, loadConfigFile } from '../../src/config';

function group(index: number) {
  return {
    name: `vm${index}`,
    mac: `52:54:00:00:00:0${index}`,
    vhost: { socket: `/run/vf/vm${index}.sock` },
    primary: { devargs: `0000:3b:02.${index}` },
    standby: { devargs: `net_tap${index},iface=sb-vm${index}` },
  };
}

describe('group drop-ins (groups.d)', function () {
  let dir: string;
  let configFile: string;
  const dropIn = (name: string, content: unknown, mode = 0o644) => {
    const file = path.join(dir, 'groups.d', name);
    fs.writeFileSync(file, typeof content === 'string' ? content : YAML.stringify(content), { mode });
    fs.chmodSync(file, mode);
    return file;
  };

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vhost-failover-dropins-'));
    fs.chmodSync(dir, 0o755);
    configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, YAML.stringify({ groups: [group(1)] }), { mode: 0o644 });
    fs.mkdirSync(path.join(dir, 'groups.d'), { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("adds each drop-in's group after the file's own, in name order, skipping other files", function () {
    dropIn('20-vm3.yaml', group(3));
    dropIn('10-vm2.json', JSON.stringify(group(2)));
    dropIn('.20-vm3.yaml.swp', 'not yaml: [');
    dropIn('README', 'notes');
    const config = loadConfigFile(configFile);
    assert.deepEqual(
      config.groups.map((g) => g.name),
      ['vm1', 'vm2', 'vm3'],
    );
  });

  it('takes every group from drop-ins when the file names none', function () {
    fs.writeFileSync(configFile, YAML.stringify({ log: { level: 'info' } }));
    dropIn('vm2.yaml', group(2));
    assert.deepEqual(
      loadConfigFile(configFile).groups.map((g) => g.name),
      ['vm2'],
    );
  });

  it('names the drop-in a problem is in, and a clash with the file', function () {
    const bad = dropIn('vm2.yaml', { ...group(2), mac: '01:00:5e:00:00:01' });
    const clash = dropIn('vm9.yaml', { ...group(9), name: 'vm1' });
    assert.throws(
      () => loadConfigFile(configFile),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(
          err.problems.some((p) => p.startsWith(`${bad}: mac`)),
          err.problems.join('\n'),
        );
        assert.ok(
          err.problems.some((p) => p.startsWith(clash)),
          err.problems.join('\n'),
        );
        return true;
      },
    );
  });

  it('refuses a drop-in that is not one group, or that others may change', function () {
    const list = dropIn('vm2.yaml', [group(2)]);
    assert.throws(() => loadConfigFile(configFile), new RegExp(`${list}.*holds one group`));
    fs.rmSync(list);
    const open = dropIn('vm3.yaml', group(3), 0o666);
    assert.throws(() => loadConfigFile(configFile), new RegExp(`${open}.*chmod go-w`));
  });
});
