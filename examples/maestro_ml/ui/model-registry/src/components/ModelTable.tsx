import type { ModelVersion } from "../types";
import { StageBadge } from "./StageBadge";

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([key, value]) => `${key} ${value.toFixed(3)}`)
    .join(" · ");
}

export function ModelTable({ models }: { models: ModelVersion[] }) {
  if (models.length === 0) {
    return <p className="empty">No model versions match this filter.</p>;
  }
  return (
    <table>
      <thead>
        <tr>
          <th>Model</th>
          <th>Version</th>
          <th>Stage</th>
          <th>Metrics</th>
          <th>Registered</th>
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr key={`${m.name}-${m.version}`}>
            <td>{m.name}</td>
            <td>v{m.version}</td>
            <td>
              <StageBadge stage={m.stage} />
            </td>
            <td>{formatMetrics(m.metrics)}</td>
            <td>{new Date(m.created_at).toLocaleDateString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
