/** BullMQ ships no types for its CommonJS script modules; the ES module twin's shape. */
declare module 'bullmq/dist/cjs/scripts/moveToFinished-14.js' {
  export const moveToFinished: { name: string; content: string; keys: number };
}
