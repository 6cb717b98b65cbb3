import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults';
import { parseConfigText } from '../../src/config/load';
import { pointerToPath, joinPath } from '../../src/config/json-path';
import { schemaProblems } from '../../src/config/validate';
import { checkOciVersion } from '../../src/config/version';
import { RuntsError } from '../../src/errors';

const valid = () => JSON.parse(JSON.stringify(defaultConfig())) as Record<string, any>;

describe('ociVersion', () => {
  it.each(['1.0.0', '1.0.1', '1.0.2-dev', '1.1.0', '1.1.0-rc.2', '1.2.0', '1.2.1', '1.3.0', '1.3.7', '1.2.0+build.5'])(
    'accepts %s',
    (v) => expect(checkOciVersion(v)).toBeUndefined(),
  );
  it.each(['0.5.0', '1.0.0-rc5', '1.4.0', '2.0.0', '1.0', 'v1.0.0', ''])('rejects %s', (v) => {
    expect(checkOciVersion(v)).toMatch(/not supported|not a SemVer/);
  });
  it('says which versions are accepted', () => {
    expect(checkOciVersion('2.0.0')).toBe('version "2.0.0" is not supported: runts implements runtime-spec 1.0.0 to 1.3.x');
  });
});

describe('JSON paths', () => {
  it('converts pointers', () => {
    expect(pointerToPath('/process/args/0')).toBe('process.args[0]');
    expect(pointerToPath('/annotations/com.example~1key')).toBe('annotations["com.example/key"]');
    expect(pointerToPath('')).toBe('');
    expect(joinPath('linux.sysctl', 'net.ipv4.ip_forward')).toBe('linux.sysctl["net.ipv4.ip_forward"]');
  });
});

describe('config.json parsing', () => {
  it('reports line and column of a syntax error', () => {
    expect(() => parseConfigText('{\n  "ociVersion": "1.0.0",,\n}', '/b/config.json')).toThrow(/line 2, column 25: Expected double-quoted property name$/);
  });
  it('throws a RuntsError naming the file', () => {
    expect(() => parseConfigText('nope', '/b/config.json')).toThrow(RuntsError);
    expect(() => parseConfigText('nope', '/b/config.json')).toThrow('/b/config.json is not valid JSON');
  });
});

describe('schema validation', () => {
  it('accepts the default spec', () => {
    expect(schemaProblems(valid())).toEqual([]);
  });

  it('accepts unknown properties and annotations', () => {
    const c = valid();
    c.somethingNew = { deeply: ['nested'] };
    c.process.futureField = 1;
    c.linux.brandNew = true;
    c.annotations = { 'org.opencontainers.image.os': 'linux', 'com.example.unknown': '' };
    expect(schemaProblems(c)).toEqual([]);
  });

  it('reports every problem at once, each with its JSON path', () => {
    const c = valid();
    c.process.args = 'sh';
    c.process.cwd = 5;
    c.mounts[1].destination = 7;
    delete c.mounts[2].destination;
    c.linux.namespaces.push({ type: 'netwrok' });
    c.process.rlimits[0].type = 'nofile';
    c.ociVersion = 'one';
    c.linux.uidMappings = [{ containerID: 0, hostID: -1, size: 1 }];
    const problems = schemaProblems(c);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'process.args', message: 'must be an array (got "sh")' },
        { path: 'process.cwd', message: 'must be a string (got number 5)' },
        { path: 'mounts[1].destination', message: 'must be a string (got number 7)' },
        { path: 'mounts[2].destination', message: 'is required but missing' },
        expect.objectContaining({ path: 'linux.namespaces[6].type', message: expect.stringMatching(/^must be one of "pid", "network".*\(got "netwrok"\)$/) }),
        { path: 'process.rlimits[0].type', message: 'must be an rlimit name such as RLIMIT_NOFILE (got "nofile")' },
        { path: 'ociVersion', message: 'must be a SemVer version such as "1.3.0" (got "one")' },
        { path: 'linux.uidMappings[0].hostID', message: 'must be at least 0 (got number -1)' },
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('requires ociVersion and the fields the spec marks REQUIRED', () => {
    expect(schemaProblems({})).toEqual([{ path: 'ociVersion', message: 'is required but missing' }]);
    const c = valid();
    delete c.process.cwd;
    delete c.root.path;
    c.linux.devices = [{ type: 'c', path: '/dev/fuse' }];
    c.hooks = { prestart: [{ args: [] }] };
    const paths = schemaProblems(c).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['process.cwd', 'root.path', 'linux.devices[0].major', 'linux.devices[0].minor', 'hooks.prestart[0].path']),
    );
  });

  it('checks annotation values and keys', () => {
    const c = valid();
    c.annotations = { good: 'x', bad: 5, '': 'empty key' };
    const problems = schemaProblems(c);
    expect(problems).toContainEqual({ path: 'annotations.bad', message: 'must be a string (got number 5)' });
    expect(problems.some((p) => p.path === 'annotations' && /invalid key ""/.test(p.message))).toBe(true);
  });

  it('rejects a non-object document', () => {
    expect(schemaProblems([])).toEqual([{ path: '', message: 'must be an object (got an array)' }]);
  });
});
