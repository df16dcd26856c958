/**
 * Output nobody reads any more: `coord run --dry-run | head` once `head` has gone (EPIPE), or
 * a terminal that has closed (EIO, after SIGHUP). The rest of the output is dropped and the
 * work goes on, recording how its tasks end, instead of dying of an unhandled stream error.
 */
export function dropOutputOnceClosed(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
    });
  }
}
