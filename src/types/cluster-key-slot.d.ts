/** cluster-key-slot (the CRC16 slot function ioredis itself uses) ships no types. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0..16383) of a key, honouring a `{hash tag}`. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of the keys, or -1 when they are not all in one slot. */
    function generateMulti(keys: ReadonlyArray<string | Buffer>): number;
  }
  export default calculateSlot;
}
