// Judging a version from many proxies' reports, when any of them may lie (docs/safety.md, "Load
// reports"). Pure. Each proxy's counts for one version over one window come in; one set of figures
// goes out, in which no single proxy decides:
//
// - each proxy's requests are capped at twice the median proxy's (its failures scaled with them), so a
//   client claiming a million requests weighs as much as two ordinary proxies;
// - from three proxies on, the proxies with the highest and the lowest success rate (a tenth of them,
//   at least one each) are left out, so one client inventing failures or successes is not counted;
// - the rest are pooled: failures over requests, the estimate a binomial test is made on.
//
// With one or two proxies reporting there is nobody to outvote a liar: mTLS on the xDS port is what
// keeps unknown clients out (--xds-client-ca).

/** One proxy's counts for one version over a window. */
export interface ProxyCounts {
  proxy: string;
  /** Completed requests (succeeded + failed). */
  requests: number;
  failed: number;
  inFlight: number;
}

export interface PooledFigures {
  /** Completed requests reported, as sent (what requests/s is shown from). */
  reported: number;
  /** Requests after capping, of every proxy: what min-requests is checked on (a liar adds at most twice the median). */
  considered: number;
  /** Requests the success rate is made of: capped, without the left-out proxies'. */
  counted: number;
  /** Failures among the counted requests. */
  failed: number;
  /** 1 - failed / counted; null when nothing was counted. */
  successRate: number | null;
  /** Requests in flight at the end of the window, summed over the proxies. */
  inFlight: number;
  /** Proxies that reported requests. */
  proxies: number;
  /** Proxies left out as the highest or lowest success rate. */
  leftOut: number;
  /** Proxies whose requests were capped at twice the median. */
  capped: number;
}

/** Proxies left out at each end: a tenth of them, at least one each from three proxies on. */
export function trimCount(proxies: number): number {
  return proxies < 3 ? 0 : Math.max(1, Math.floor(proxies / 10));
}

export function pool(counts: readonly ProxyCounts[]): PooledFigures {
  const active = counts.filter((c) => c.requests > 0);
  const inFlight = counts.reduce((n, c) => n + c.inFlight, 0);
  const reported = active.reduce((n, c) => n + c.requests, 0);
  if (active.length === 0) return { reported: 0, considered: 0, counted: 0, failed: 0, successRate: null, inFlight, proxies: 0, leftOut: 0, capped: 0 };
  // The lower median: with two proxies, the smaller one sets the cap.
  const sizes = active.map((c) => c.requests).sort((a, b) => a - b);
  const cap = active.length === 1 ? Infinity : 2 * sizes[Math.floor((sizes.length - 1) / 2)]!;
  let capped = 0;
  const weighed = active.map((c) => {
    const requests = Math.min(c.requests, cap);
    if (requests < c.requests) capped++;
    const failed = Math.min(c.failed, c.requests) * (requests / c.requests);
    return { proxy: c.proxy, requests, failed, rate: 1 - Math.min(c.failed, c.requests) / c.requests };
  });
  const t = trimCount(weighed.length);
  // Ties are broken by proxy name, so the same reports always leave out the same proxies.
  weighed.sort((a, b) => a.rate - b.rate || (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
  const considered = weighed.reduce((n, c) => n + c.requests, 0);
  const kept = weighed.slice(t, weighed.length - t);
  const counted = kept.reduce((n, c) => n + c.requests, 0);
  const failed = kept.reduce((n, c) => n + c.failed, 0);
  return {
    reported,
    considered,
    counted,
    failed,
    successRate: counted > 0 ? 1 - failed / counted : null,
    inFlight,
    proxies: active.length,
    leftOut: 2 * t,
    capped,
  };
}
