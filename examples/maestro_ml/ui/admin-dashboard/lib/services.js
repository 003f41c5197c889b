// The compose stack as the dashboard shows it; ports are the host ports in docker-compose.yml.
export const SERVICES = [
  { name: "api", role: "Serving API", port: 8000, healthcheck: true },
  { name: "worker", role: "Job worker", port: null, healthcheck: false },
  { name: "postgres", role: "Metadata database", port: 5432, healthcheck: true },
  { name: "redis", role: "Job queue and cache", port: 6379, healthcheck: true },
  { name: "minio", role: "Artifact storage (S3)", port: 9000, healthcheck: true },
  { name: "mlflow", role: "Experiment tracking", port: 5000, healthcheck: false },
  { name: "prometheus", role: "Metrics", port: 9090, healthcheck: false },
  { name: "grafana", role: "Dashboards", port: 3000, healthcheck: false },
];

export const WEEK1_CHECKS = [
  "Tests execute without import errors",
  "No hardcoded secrets in docker-compose.yml",
  ".env file with strong passwords",
  "Both UIs built and accessible",
  "docker-compose stack running",
];
