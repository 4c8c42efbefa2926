// Number formatting shared by cards, panels and the chart. Counts are shown in
// full (no "1.2k"), so what the page shows is exactly what the API returned.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const METRIC_LABELS = {
  visitors: 'Visitors',
  visits: 'Visits',
  pageviews: 'Pageviews',
  events: 'Events',
  views_per_visit: 'Views per visit',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  percentage: 'Share',
};

export function formatMetric(metric, value) {
  const v = Number(value || 0);
  switch (metric) {
    case 'views_per_visit':
      return decimal.format(v);
    case 'bounce_rate':
    case 'percentage':
      return `${percent.format(v)}%`;
    case 'visit_duration':
      return formatDuration(v);
    default:
      return integer.format(v);
  }
}

export function formatDuration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

// formatChange renders a change as the API reports it: percent, or points for
// the bounce rate.
export function formatChange(metric, change) {
  const v = Number(change || 0);
  const unit = metric === 'bounce_rate' ? ' pt' : '%';
  const arrow = v > 0 ? '↑' : v < 0 ? '↓' : '→';
  return `${arrow} ${decimal.format(Math.abs(v))}${unit}`;
}

// A lower bounce rate is good news; for every other card, higher is.
export function changeTone(metric, change) {
  const v = Number(change || 0);
  if (v === 0) return 'flat';
  const good = metric === 'bounce_rate' ? v < 0 : v > 0;
  return good ? 'good' : 'bad';
}

export function formatMs(ms) {
  return `${decimal.format(Number(ms || 0))} ms`;
}
