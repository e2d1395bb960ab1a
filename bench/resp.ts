import { connect, type Socket } from 'node:net';

/** A RESP2 reply: a status or bulk string, an integer, nil, or an array of replies. */
export type Reply = string | number | null | Reply[];

/** A reply the server sent as an error (`-ERR ...`). */
export class RedisError extends Error {}

/**
 * Parses whole RESP2 replies off the front of `buf`: the replies, and where the unparsed rest
 * starts (a reply cut off by the end of a chunk waits for the next one).
 */
export function parseReplies(buf: Buffer): { replies: (Reply | RedisError)[]; rest: number } {
  const replies: (Reply | RedisError)[] = [];
  let at = 0;
  for (;;) {
    const r = parseOne(buf, at);
    if (!r) return { replies, rest: at };
    replies.push(r.value);
    at = r.next;
  }
}

function parseOne(buf: Buffer, at: number): { value: Reply | RedisError; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RedisError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, next };
      if (buf.length < next + n + 2) return undefined;
      return { value: buf.toString('utf8', next, next + n), next: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next };
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseOne(buf, pos);
        if (!r) return undefined;
        if (r.value instanceof RedisError) throw r.value;
        items.push(r.value);
        pos = r.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('utf8', at, eol))}`);
  }
}

/** A command as RESP2 sends it: an array of bulk strings. */
export const encodeCommand = (args: readonly (string | number)[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

/** One connection to a Redis server: commands answered in order, as RESP pipelines them. */
export class RedisClient {
  private readonly socket: Socket;
  private pending: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  readonly ready: Promise<void>;

  constructor(port: number, host = '127.0.0.1') {
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      const { replies, rest } = parseReplies(this.buf);
      this.buf = this.buf.subarray(rest);
      for (const r of replies) {
        const p = this.pending.shift()!;
        if (r instanceof RedisError) p.reject(r);
        else p.resolve(r);
      }
    });
    this.socket.on('error', (err) => {
      for (const p of this.pending.splice(0)) p.reject(err);
    });
  }

  command(...args: (string | number)[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.end();
  }
}
