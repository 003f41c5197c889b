import { useMemo, useState } from "react";
import { ModelTable } from "./components/ModelTable";
import modelData from "./data/models.json";
import type { ModelVersion, Stage } from "./types";

// JSON imports are typed structurally; keep only numeric metrics and narrow the stage.
function toVersion(raw: (typeof modelData)[number]): ModelVersion {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw.metrics)) {
    if (typeof value === "number") metrics[key] = value;
  }
  return { ...raw, stage: raw.stage as Stage, metrics };
}

const models = modelData.map(toVersion);
const STAGES: Array<Stage | "All"> = ["All", "Production", "Staging", "None", "Archived"];

export default function App() {
  const [stage, setStage] = useState<Stage | "All">("All");
  const visible = useMemo(
    () => models.filter((m) => stage === "All" || m.stage === stage),
    [stage],
  );

  return (
    <main>
      <header>
        <h1>Model Registry</h1>
        <p>{new Set(models.map((m) => m.name)).size} models, {models.length} versions</p>
      </header>
      <label>
        Stage{" "}
        <select value={stage} onChange={(e) => setStage(e.target.value as Stage | "All")}>
          {STAGES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <ModelTable models={visible} />
    </main>
  );
}
