import { describe, expect, it } from 'vitest';
import { formatOutput, render, type OutputFormat, type Printable, type Printed } from './output.js';

describe('render', () => {
  const data = { clientVersion: { gitVersion: 'v0.1.0' }, items: [1, 2] };

  it('prints JSON with 4-space indentation like kubectl', () => {
    expect(render(data, 'json')).toBe(
      '{\n    "clientVersion": {\n        "gitVersion": "v0.1.0"\n    },\n    "items": [\n        1,\n        2\n    ]\n}',
    );
  });

  it('prints block-style YAML without a trailing newline', () => {
    expect(render(data, 'yaml')).toBe('clientVersion:\n  gitVersion: v0.1.0\nitems:\n  - 1\n  - 2');
  });

  it('quotes strings that kubectl (YAML 1.1) would read as booleans', () => {
    expect(render({ inline: ['y', 'no', 'on', 'host-1'] }, 'yaml')).toBe(
      'inline:\n  - "y"\n  - "no"\n  - "on"\n  - host-1',
    );
  });
});

describe('the printer of every command', () => {
  const printable: Printable = {
    data: { kind: 'List', items: [{ metadata: { name: 'primes' } }, { metadata: { name: 'hosts' } }] },
    names: () => ['worklist.teamtask.dev/primes', 'worklist.teamtask.dev/hosts'],
    human: (wide) => (wide ? 'NAME     ITEMS\nprimes   10' : 'NAME\nprimes'),
  };

  it.each<{ name: string; format: OutputFormat | undefined; oneLine?: boolean; want: Printed }>([
    {
      name: 'prints the human text when no -o is given',
      format: undefined,
      want: { text: 'NAME\nprimes', newline: true },
    },
    {
      name: 'prints the wide human text for -o wide',
      format: 'wide',
      want: { text: 'NAME     ITEMS\nprimes   10', newline: true },
    },
    {
      name: 'prints -o json with 4-space indentation',
      format: 'json',
      want: { text: JSON.stringify(printable.data, null, 4), newline: true },
    },
    {
      name: 'prints -o json on one line when asked (a watch: one document per line)',
      format: 'json',
      oneLine: true,
      want: { text: JSON.stringify(printable.data), newline: true },
    },
    {
      name: 'prints -o yaml as block YAML',
      format: 'yaml',
      want: {
        text: 'kind: List\nitems:\n  - metadata:\n      name: primes\n  - metadata:\n      name: hosts',
        newline: true,
      },
    },
    {
      name: 'prints -o name one object per line, as kubectl names them',
      format: 'name',
      want: { text: 'worklist.teamtask.dev/primes\nworklist.teamtask.dev/hosts', newline: true },
    },
    {
      name: 'prints -o jsonpath=TEMPLATE as the template says, without a line break of its own',
      format: 'jsonpath={.items[*].metadata.name}',
      want: { text: 'primes hosts', newline: false },
    },
    {
      name: 'ignores oneLine for anything but JSON',
      format: 'yaml',
      oneLine: true,
      want: { text: render(printable.data, 'yaml'), newline: true },
    },
  ])('$name', ({ format, oneLine, want }) => {
    expect(formatOutput(printable, format, { oneLine })).toEqual(want);
  });

  it('refuses a format the command has no text for, rather than printing nothing', () => {
    expect(() => formatOutput({ data: {} }, 'name')).toThrow('no -o name output');
    expect(() => formatOutput({ data: {} }, undefined)).toThrow('no human output');
    expect(() => formatOutput({ data: {} }, 'wide')).toThrow('no -o wide output');
  });
});
