import { Counter, Gauge, type Registry } from '@mod/telemetry';

/** Order lifecycle metrics: few, with small fixed label sets (kind, event, outcome, quantile). */
export interface LifecycleMetrics {
  transitions: Counter<'kind' | 'event'>;
  verifications: Counter<'outcome'>;
  inconclusiveVerifications: Counter<'outcome'>;
  webhookAttempts: Counter<'outcome'>;
  open: Gauge<'kind'>;
  overdue: Gauge<'kind'>;
  withinDeadline: Gauge<'kind'>;
  acknowledgeSeconds: Gauge<'kind' | 'quantile'>;
  actionSeconds: Gauge<'kind' | 'quantile'>;
}

export function createLifecycleMetrics(registry: Registry): LifecycleMetrics {
  const registers = [registry];
  return {
    transitions: new Counter({
      name: 'mod_order_transitions_total',
      help: 'Order lifecycle changes made by the actioner',
      labelNames: ['kind', 'event'],
      registers,
    }),
    verifications: new Counter({
      name: 'mod_order_verifications_total',
      help: 'Re-fetches of actioned takedowns, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    inconclusiveVerifications: new Counter({
      name: 'mod_order_inconclusive_verifications_total',
      help: 'Inconclusive re-fetches of actioned takedowns, by what came of them (within_grace: before the deadline and grace, retried; escalated: escalated to the authority now; escalated_before: escalated since the order was actioned, or owes no escalation)',
      labelNames: ['outcome'],
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'mod_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retry, failed)',
      labelNames: ['outcome'],
      registers,
    }),
    open: new Gauge({ name: 'mod_orders_open', help: 'Open orders', labelNames: ['kind'], registers }),
    overdue: new Gauge({
      name: 'mod_orders_overdue',
      help: 'Open orders past their deadline (clock not paused)',
      labelNames: ['kind'],
      registers,
    }),
    withinDeadline: new Gauge({
      name: 'mod_orders_within_deadline_ratio',
      help: 'Share of actioned orders actioned by their deadline',
      labelNames: ['kind'],
      registers,
    }),
    acknowledgeSeconds: new Gauge({
      name: 'mod_order_time_to_acknowledge_seconds',
      help: 'Time from issue to acknowledgement (median and p90 over all orders)',
      labelNames: ['kind', 'quantile'],
      registers,
    }),
    actionSeconds: new Gauge({
      name: 'mod_order_time_to_action_seconds',
      help: 'Time from issue to reported action (median and p90 over all orders)',
      labelNames: ['kind', 'quantile'],
      registers,
    }),
  };
}
