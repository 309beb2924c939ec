import { describe, expect, it } from 'vitest';
import { obj, str } from './deploy-files.js';
import { helm, name, ofKind, useHelm, type Manifest } from './helm-chart.js';

// The API's per-credential rate limit in deploy/helm/moderation, rendered by the real Helm. Each API replica keeps
// its buckets in memory, so N replicas allow a credential N times a replica's limit: the values give the total
// (api.rateLimit) and the chart sets each replica's API_RATE_LIMIT_PER_S and API_RATE_LIMIT_BURST to its share,
// counting the most replicas there can be (the autoscaler's maxReplicas when autoscaling).

const { template, render } = useHelm();

/** Each API replica's limit as its ConfigMap gives it, and the most replicas the rendered objects allow. */
function apiLimit(manifests: Manifest[]) {
  const own = (kind: string) => ofKind(manifests, kind).find((m) => name(m) === 'mod-moderation-api');
  const data = obj(own('ConfigMap')?.['data']);
  const hpa = own('HorizontalPodAutoscaler');
  const replicas =
    hpa === undefined
      ? Number(obj(own('Deployment')?.['spec'])['replicas'])
      : Number(obj(hpa['spec'])['maxReplicas']);
  return {
    perSecond: Number(str(data['API_RATE_LIMIT_PER_S'])),
    burst: Number(str(data['API_RATE_LIMIT_BURST'])),
    replicas,
  };
}

const fixed = (replicas: number) => ['api.autoscaling.enabled=false', `api.replicas=${replicas}`];

describe.skipIf(helm === undefined)("the API's per-credential rate limit in deploy/helm/moderation", () => {
  it('gives each replica its share of the total: the most replicas the autoscaler runs allow the total', () => {
    // The defaults: 20 a second and bursts of 100 in all (services/api/README.md), up to 8 replicas.
    expect(apiLimit(render())).toEqual({ perSecond: 2.5, burst: 12, replicas: 8 });
    expect(apiLimit(render('api.autoscaling.maxReplicas=3'))).toEqual({
      perSecond: 6.666,
      burst: 33,
      replicas: 3,
    });
  });

  it('divides by the replicas when the API is not autoscaled, rounding down, never above the total', () => {
    expect(apiLimit(render(...fixed(1)))).toEqual({ perSecond: 20, burst: 100, replicas: 1 });
    for (const replicas of [2, 3, 6, 7]) {
      const limit = apiLimit(render(...fixed(replicas)));
      expect(limit.replicas).toBe(replicas);
      expect(limit.perSecond * replicas).toBeLessThanOrEqual(20);
      expect(limit.perSecond * replicas).toBeGreaterThan(20 - replicas * 0.001);
      expect(limit.burst).toBe(Math.floor(100 / replicas));
    }
  });

  it('takes the totals from api.rateLimit, and refuses a share smaller than a replica can count', () => {
    const totals = (t: object) => template(['--set-json', `api.rateLimit=${JSON.stringify(t)}`]);
    expect(apiLimit(totals({ perSecond: 0.5, burst: 16 }))).toEqual({
      perSecond: 0.062,
      burst: 2,
      replicas: 8,
    });
    expect(() => totals({ perSecond: 0.004, burst: 100 })).toThrow(/less than 0.001 a second/);
    expect(() => render('api.rateLimit.burst=7')).toThrow(/8 API replicas leaves each less than one request/);
    // A replica's own limit is the chart's to set: given by hand it would be multiplied by the replicas again.
    expect(() => render('api.config.API_RATE_LIMIT_PER_S=20')).toThrow(/API_RATE_LIMIT_PER_S/);
    expect(() => render('api.config.API_RATE_LIMIT_BURST=100')).toThrow(/API_RATE_LIMIT_BURST/);
  });
});
