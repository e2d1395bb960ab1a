import { describe, expect, it } from 'vitest';
import { encodeCommand, parseReplies, RedisError } from './resp.js';

describe('RESP2', () => {
  it('encodes a command as an array of bulk strings', () => {
    expect(encodeCommand(['LMOVE', 'q', 'p', 'RIGHT', 'LEFT'])).toBe(
      '*5\r\n$5\r\nLMOVE\r\n$1\r\nq\r\n$1\r\np\r\n$5\r\nRIGHT\r\n$4\r\nLEFT\r\n',
    );
    expect(encodeCommand(['SET', 'é', 7])).toBe('*3\r\n$3\r\nSET\r\n$2\r\né\r\n$1\r\n7\r\n');
  });

  it.each([
    { name: 'a status', wire: '+OK\r\n', want: ['OK'] },
    { name: 'an integer', wire: ':42\r\n', want: [42] },
    { name: 'a bulk string', wire: '$5\r\n0:100\r\n', want: ['0:100'] },
    { name: 'nil', wire: '$-1\r\n', want: [null] },
    { name: 'an array', wire: '*2\r\n$1\r\na\r\n:1\r\n', want: [['a', 1]] },
    { name: 'several replies in one chunk', wire: '+OK\r\n:1\r\n$-1\r\n', want: ['OK', 1, null] },
  ])('parses $name', ({ wire, want }) => {
    const { replies, rest } = parseReplies(Buffer.from(wire));
    expect(replies).toEqual(want);
    expect(rest).toBe(Buffer.byteLength(wire));
  });

  it('keeps a reply cut off by the end of a chunk for the next one', () => {
    const { replies, rest } = parseReplies(Buffer.from(':1\r\n$5\r\n0:1'));
    expect(replies).toEqual([1]);
    expect(rest).toBe(4);
  });

  it('gives an error reply as an error', () => {
    const { replies } = parseReplies(Buffer.from('-ERR unknown command\r\n'));
    expect(replies[0]).toBeInstanceOf(RedisError);
    expect((replies[0] as RedisError).message).toBe('ERR unknown command');
  });
});
