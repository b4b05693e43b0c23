/**
 * A connection to one Redis server whose commands issued in one event-loop
 * turn leave in one socket write: the socket is corked at the turn's first
 * command and uncorked by setImmediate, after the turn's I/O callbacks, so
 * Node hands the queued commands to the kernel in one writev. Under load the
 * write syscalls, not Redis, were the cost (bench --profile); each command
 * still has its own reply, error and commandTimeout, and replies come back in
 * the order the commands were written, as without the cork.
 *
 * ioredis' enableAutoPipelining batches over the same window, but it keeps
 * each batch's Pipeline in a Map and a Set on the connection, and V8 rebuilds
 * such small tables on nearly every insert and delete. A replaced table that
 * had already moved to the old generation still points at what it held, and
 * at the table that replaced it, so young-generation collections keep all of
 * that (the pipelines, their commands and replies, the requests waiting on
 * them) until the next full collection. At a fixed 1,000 issuances a second
 * that was about 0.93 MB promoted per scavenge and three mark-compacts every
 * 6 s; corked (with the graceful stop's list, in-flight-list.ts), about
 * 0.28 MB and at most one. Corking keeps nothing past the turn but the
 * socket's own buffer. (A Cluster keeps ioredis' batching, which groups
 * commands per node.)
 */
import { Redis } from 'ioredis';

type Command = Parameters<Redis['sendCommand']>[0];
type WriteTarget = Parameters<Redis['sendCommand']>[1];
type NetStream = Redis['stream'];

export class TurnBatchedRedis extends Redis {
  // Not #private: ioredis may send commands from its constructor, before
  // subclass fields exist; a plain property read there is merely undefined.
  private corkedSocket: NetStream | undefined;

  override sendCommand(command: Command, stream?: WriteTarget): unknown {
    // Only the connection's own socket, once it is ready: while connecting,
    // ioredis writes its handshake (AUTH, SELECT, CLIENT SETNAME) straight
    // away, and a command refused for want of a connection must not cork.
    if (stream === undefined && this.corkedSocket === undefined && this.status === 'ready' && this.stream?.writable) {
      const socket = this.stream;
      this.corkedSocket = socket;
      socket.cork();
      setImmediate(() => {
        this.corkedSocket = undefined;
        socket.uncork();
      });
    }
    return super.sendCommand(command, stream);
  }
}
