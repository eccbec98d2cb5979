// The annotation keys splitplane reads, by name. Each dialect says which of them it owns
// (dialects/index.ts), and the unknown-annotation check is built from that list.

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
export const SPLITPLANE_PREFIX = 'splitplane.io/';

export const SERVICE_WEIGHT = `${NGINX_PREFIX}service-weight`;
export const SERVICE_MATCH = `${NGINX_PREFIX}service-match`;

export const CANARY = `${NGINX_PREFIX}canary`;
export const CANARY_WEIGHT = `${NGINX_PREFIX}canary-weight`;
export const CANARY_WEIGHT_TOTAL = `${NGINX_PREFIX}canary-weight-total`;
export const CANARY_BY_HEADER = `${NGINX_PREFIX}canary-by-header`;
export const CANARY_BY_HEADER_VALUE = `${NGINX_PREFIX}canary-by-header-value`;
export const CANARY_BY_HEADER_PATTERN = `${NGINX_PREFIX}canary-by-header-pattern`;
export const CANARY_BY_COOKIE = `${NGINX_PREFIX}canary-by-cookie`;
export const CANARY_SETTINGS: readonly string[] = [
  CANARY_WEIGHT,
  CANARY_WEIGHT_TOTAL,
  CANARY_BY_HEADER,
  CANARY_BY_HEADER_VALUE,
  CANARY_BY_HEADER_PATTERN,
  CANARY_BY_COOKIE,
];

export const SSL_REDIRECT = `${NGINX_PREFIX}ssl-redirect`;

export const STICKY_COOKIE = `${SPLITPLANE_PREFIX}sticky-cookie`;
export const STICKY_MAX_AGE = `${SPLITPLANE_PREFIX}sticky-max-age`;

export const ROLLOUT = `${SPLITPLANE_PREFIX}rollout`;
