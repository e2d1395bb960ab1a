import { describe, expect, it } from 'vitest';
import { render } from './output.js';

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
