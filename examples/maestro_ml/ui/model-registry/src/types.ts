export type Stage = "None" | "Staging" | "Production" | "Archived";

export interface ModelVersion {
  name: string;
  version: number;
  run_id: string;
  stage: Stage;
  metrics: Record<string, number>;
  created_at: string;
}
