/** proxy-addr (Express's own `req.ip`, under its `trust proxy` setting) ships no types. */
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';

  /** Whether the address at hop `index` (0 = the socket's peer) is a trusted proxy. */
  type Trust = (address: string, index: number) => boolean;

  /** The client's address: the nearest untrusted one of the socket's peer and X-Forwarded-For. */
  function proxyaddr(req: IncomingMessage, trust: Trust | string | string[]): string;
  export default proxyaddr;
}
