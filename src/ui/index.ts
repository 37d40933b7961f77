/**
 * The web dashboard: a server on loopback that follows the bus's event log and pushes it to a page
 * built at build time, the views' data queries, steering, and the soak metrics (also `daedalus stats`).
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { computeMetrics, median, percentile, type MetricsInput, type SoakMetrics } from './metrics.js';
export { loadMetrics, type MetricsQuery } from './metrics-load.js';
export { formatMetrics } from './metrics-format.js';
export { sinceOf } from './routes-read.js';
export { isLoopback, checkListenHost, TOKEN_HEADER } from './security.js';
