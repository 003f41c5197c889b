import type { Stage } from "../types";

const COLORS: Record<Stage, string> = {
  None: "#9ca3af",
  Staging: "#d97706",
  Production: "#059669",
  Archived: "#6b7280",
};

export function StageBadge({ stage }: { stage: Stage }) {
  return (
    <span className="badge" style={{ backgroundColor: COLORS[stage] }}>
      {stage}
    </span>
  );
}
