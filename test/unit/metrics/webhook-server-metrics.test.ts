import { describe, expect, it } from 'vitest';
import {
  executionSummary,
  parseSnapshot,
  webhookAdmissions,
} from '../../../src/metrics/server-metrics.js';

const exec = 'apiserver_flowcontrol_request_execution_seconds';
const adm = 'apiserver_admission_webhook_admission_duration_seconds';
const rej = 'apiserver_admission_webhook_rejection_count';

const before = parseSnapshot(
  `# TYPE ${exec} histogram
${exec}_bucket{flow_schema="global-default",priority_level="global-default",type="mutating",le="+Inf"} 10
${exec}_sum{flow_schema="global-default",priority_level="global-default",type="mutating"} 1
${exec}_count{flow_schema="global-default",priority_level="global-default",type="mutating"} 10
# TYPE ${adm} histogram
${adm}_sum{name="slow.webhooks.apfbench.dev",operation="CREATE",rejected="false",type="validating"} 4
${adm}_count{name="slow.webhooks.apfbench.dev",operation="CREATE",rejected="false",type="validating"} 2
`,
  1000,
);

const after = parseSnapshot(
  `# TYPE ${exec} histogram
${exec}_bucket{flow_schema="global-default",priority_level="global-default",type="mutating",le="+Inf"} 30
${exec}_sum{flow_schema="global-default",priority_level="global-default",type="mutating"} 41
${exec}_count{flow_schema="global-default",priority_level="global-default",type="mutating"} 30
${exec}_sum{flow_schema="system-nodes",priority_level="system",type="mutating"} 0.5
${exec}_count{flow_schema="system-nodes",priority_level="system",type="mutating"} 100
${exec}_sum{flow_schema="service-accounts",priority_level="workload-low",type="readOnly"} 0.25
${exec}_count{flow_schema="service-accounts",priority_level="workload-low",type="readOnly"} 5
${exec}_sum{flow_schema="kube-controller-manager",priority_level="workload-low",type="readOnly"} 0.75
${exec}_count{flow_schema="kube-controller-manager",priority_level="workload-low",type="readOnly"} 5
# TYPE ${adm} histogram
${adm}_sum{name="slow.webhooks.apfbench.dev",operation="CREATE",rejected="false",type="validating"} 24
${adm}_count{name="slow.webhooks.apfbench.dev",operation="CREATE",rejected="false",type="validating"} 12
${adm}_sum{name="slow.webhooks.apfbench.dev",operation="UPDATE",rejected="true",type="validating"} 30
${adm}_count{name="slow.webhooks.apfbench.dev",operation="UPDATE",rejected="true",type="validating"} 3
${adm}_sum{name="other.example.com",operation="CREATE",rejected="false",type="admit"} 1
${adm}_count{name="other.example.com",operation="CREATE",rejected="false",type="admit"} 1
# TYPE ${rej} counter
${rej}{error_type="calling_webhook_error",name="slow.webhooks.apfbench.dev",operation="UPDATE",rejection_code="500",type="validating"} 3
`,
  21_000,
);

describe('executionSummary', () => {
  it('gives each priority level and flow schema the requests executed and seconds held', () => {
    expect(executionSummary(before, after)).toEqual({
      'global-default': {
        count: 20,
        sumSeconds: 40,
        flowSchemas: { 'global-default': { count: 20, sumSeconds: 40 } },
      },
      system: {
        count: 100,
        sumSeconds: 0.5,
        flowSchemas: { 'system-nodes': { count: 100, sumSeconds: 0.5 } },
      },
      'workload-low': {
        count: 10,
        sumSeconds: 1,
        flowSchemas: {
          'service-accounts': { count: 5, sumSeconds: 0.25 },
          'kube-controller-manager': { count: 5, sumSeconds: 0.75 },
        },
      },
    });
  });
});

describe('webhookAdmissions', () => {
  it('sums the admission histogram and rejections by webhook name', () => {
    expect(webhookAdmissions(before, after)).toEqual({
      'slow.webhooks.apfbench.dev': {
        admissions: 13,
        sumSeconds: 50,
        rejected: 3,
        rejectionsByErrorType: { calling_webhook_error: 3 },
      },
      'other.example.com': {
        admissions: 1,
        sumSeconds: 1,
        rejected: 0,
        rejectionsByErrorType: {},
      },
    });
  });

  it('keeps only the names asked for', () => {
    expect(
      Object.keys(webhookAdmissions(before, after, (n) => n.endsWith('apfbench.dev'))),
    ).toEqual(['slow.webhooks.apfbench.dev']);
  });
});
