// Statistical bounds for traffic-split assertions: never exact counts, which a fair coin breaks.

/** Binomial bounds: a count out of `n` at probability `p` lies within `sigmas` standard deviations of n·p. */
export function withinBinomial(n: number, p: number, sigmas = 5): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [Math.max(0, Math.floor(n * p - sigmas * sd)), Math.min(n, Math.ceil(n * p + sigmas * sd))];
}
