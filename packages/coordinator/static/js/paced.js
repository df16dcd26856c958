// A costly read that many changes ask for, at a pace the page can afford.

/**
 * `ask()` calls `load` once `settleMs` have passed (a burst of asks makes one call), and at most
 * once every `everyMs` from the start of the call before: asks meanwhile make one call when that
 * time is up. A call under way is never overlapped; asks during it make one call after it.
 */
export function paced(load, { settleMs, everyMs }) {
  let timer;
  let startedAt = -Infinity;
  let loading = false;
  let askedWhileLoading = false;
  /** Cancelled for good (the page was left): nothing more is loaded. */
  let stopped = false;
  const run = async () => {
    timer = undefined;
    loading = true;
    askedWhileLoading = false;
    startedAt = Date.now();
    try {
      await load();
    } finally {
      loading = false;
      if (askedWhileLoading) ask();
    }
  };
  const ask = () => {
    if (stopped) return;
    if (loading) askedWhileLoading = true;
    else if (timer === undefined) timer = setTimeout(run, Math.max(settleMs, startedAt + everyMs - Date.now()));
  };
  return {
    ask,
    cancel() {
      stopped = true;
      askedWhileLoading = false;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
