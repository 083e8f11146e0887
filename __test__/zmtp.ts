// A minimal raw ZMTP 3.x peer over `net`, for hostile-input tests and for checking the wire directly.
// Greeting (64 bytes): 0xFF, 8 zero bytes, 0x7F, version [3, 1], mechanism "NULL" padded to 20 bytes,
// as-server 0, 31 zero bytes. Frames: flags (0x01 MORE, 0x02 LONG, 0x04 COMMAND), size (1 or 8 bytes BE), body.
import net from 'node:net'

export const FLAG_MORE = 0x01
export const FLAG_LONG = 0x02
export const FLAG_COMMAND = 0x04

export function greeting(opts: { major?: number; minor?: number; mechanism?: string; asServer?: boolean } = {}): Buffer {
  const g = Buffer.alloc(64)
  g[0] = 0xff
  g[9] = 0x7f
  g[10] = opts.major ?? 3
  g[11] = opts.minor ?? 1
  g.write(opts.mechanism ?? 'NULL', 12, 'ascii')
  g[32] = opts.asServer ? 1 : 0
  return g
}

/** One frame with the right short/long size encoding. */
export function frame(body: Buffer | string, flags = 0): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body
  if (b.length <= 255) return Buffer.concat([Buffer.from([flags, b.length]), b])
  const head = Buffer.alloc(9)
  head[0] = flags | FLAG_LONG
  head.writeBigUInt64BE(BigInt(b.length), 1)
  return Buffer.concat([head, b])
}

/** Only a frame header announcing `size` bytes (long form), no body: the "1 TiB frame" trap. */
export function longHeader(size: bigint, flags = 0): Buffer {
  const head = Buffer.alloc(9)
  head[0] = flags | FLAG_LONG
  head.writeBigUInt64BE(size, 1)
  return head
}

/** A command frame: name length byte, name, data. */
export function command(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, 'ascii'), data])
  return frame(body, FLAG_COMMAND)
}

/** READY with metadata properties (name length byte, name, 4-byte BE value length, value). */
export function ready(socketType = 'REQ', extra: Record<string, string> = {}): Buffer {
  const props = Object.entries({ 'Socket-Type': socketType, ...extra }).map(([k, v]) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(Buffer.byteLength(v))
    return Buffer.concat([Buffer.from([k.length]), Buffer.from(k, 'ascii'), len, Buffer.from(v)])
  })
  return command('READY', Buffer.concat(props))
}

/** A whole message (frames with MORE on all but the last). */
export function message(parts: Array<Buffer | string>): Buffer {
  return Buffer.concat(parts.map((p, i) => frame(p, i < parts.length - 1 ? FLAG_MORE : 0)))
}

export interface Frame {
  flags: number
  body: Buffer
  command: boolean
  more: boolean
}

/** A raw TCP connection that parses the peer's greeting and frames as they arrive. */
export class RawPeer {
  readonly socket: net.Socket
  readonly closed: Promise<void>
  isClosed = false
  pingsAnswered = 0
  peerGreeting: Buffer | null = null
  private buf = Buffer.alloc(0)
  /** Chunks not yet merged into `buf` (merging only once enough bytes arrived keeps big frames O(n)). */
  private chunks: Buffer[] = []
  private chunkBytes = 0
  private need = 1
  private frames: Frame[] = []
  private waiters: Array<() => void> = []

  private constructor(socket: net.Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      })
    })
    socket.on('error', () => { /* a reset by the peer is an expected outcome in these tests */ })
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.chunkBytes += chunk.length
      if (this.buf.length + this.chunkBytes < this.need) return
      this.buf = Buffer.concat([this.buf, ...this.chunks])
      this.chunks = []
      this.chunkBytes = 0
      this.parse()
      this.wake()
    })
  }

  /** Wraps an accepted (server-side) socket, e.g. for a raw ZMTP server; reading starts now. */
  static wrap(socket: net.Socket): RawPeer {
    const peer = new RawPeer(socket)
    socket.resume() // in case the caller paused it
    return peer
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host })
      const peer = new RawPeer(s)
      s.once('connect', () => resolve(peer))
      s.once('error', reject)
    })
  }

  /** Connects, sends greeting + READY, and waits for the peer's greeting and READY. */
  static async handshake(
    port: number,
    socketType = 'REQ',
    host = '127.0.0.1',
    greet: Parameters<typeof greeting>[0] = {},
  ): Promise<RawPeer> {
    const peer = await RawPeer.connect(port, host)
    peer.write(Buffer.concat([greeting(greet), ready(socketType)]))
    await peer.awaitReady()
    return peer
  }

  /** Waits for the peer's READY command (the first frame after its greeting). */
  async awaitReady(): Promise<void> {
    const r = await this.nextFrame()
    if (commandName(r) !== 'READY') throw new Error(`expected READY, got ${r.body.toString('latin1')}`)
  }

  write(data: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(data)
  }

  private wake() {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private parse() {
    this.need = 1
    if (!this.peerGreeting) {
      this.need = 64
      if (this.buf.length < 64) return
      this.peerGreeting = this.buf.subarray(0, 64)
      this.buf = this.buf.subarray(64)
    }
    for (;;) {
      this.need = 2
      if (this.buf.length < 2) return
      const flags = this.buf[0]
      let size: number
      let head: number
      if (flags & FLAG_LONG) {
        this.need = 9
        if (this.buf.length < 9) return
        size = Number(this.buf.readBigUInt64BE(1))
        head = 9
      } else {
        size = this.buf[1]
        head = 2
      }
      this.need = head + size
      if (this.buf.length < head + size) return
      const body = Buffer.from(this.buf.subarray(head, head + size))
      this.buf = this.buf.subarray(head + size)
      this.frames.push({ flags, body, command: (flags & FLAG_COMMAND) !== 0, more: (flags & FLAG_MORE) !== 0 })
    }
  }

  /** The next frame (commands included); rejects if the connection closes first. */
  async nextFrame(): Promise<Frame> {
    for (;;) {
      const f = this.frames.shift()
      if (f) return f
      if (this.isClosed) throw new Error('connection closed')
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  /** The next whole message (command frames are skipped; PINGs are answered with PONG). */
  async nextMessage(): Promise<Buffer[]> {
    const parts: Buffer[] = []
    for (;;) {
      const f = await this.nextFrame()
      if (f.command) {
        this.answerPing(f)
        continue
      }
      parts.push(f.body)
      if (!f.more) return parts
    }
  }

  /** Replies PONG (with the PING's context) if `f` is a PING. */
  answerPing(f: Frame): boolean {
    const name = f.body.subarray(1, 1 + f.body[0]).toString('ascii')
    if (name !== 'PING') return false
    // PING body: name, 2-byte TTL, context; PONG echoes the context.
    this.write(command('PONG', f.body.subarray(1 + f.body[0] + 2)))
    this.pingsAnswered++
    return true
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Name of a command frame (e.g. 'READY', 'PING'), or null for a message frame. */
export function commandName(f: Frame): string | null {
  return f.command ? f.body.subarray(1, 1 + f.body[0]).toString('ascii') : null
}
