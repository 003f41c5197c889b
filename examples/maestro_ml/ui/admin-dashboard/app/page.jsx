import { SERVICES, WEEK1_CHECKS } from "@/lib/services";

export default function OverviewPage() {
  const withHealthcheck = SERVICES.filter((s) => s.healthcheck).length;
  return (
    <>
      <h1>Overview</h1>
      <p>
        {SERVICES.length} services in the stack, {withHealthcheck} with a healthcheck.
      </p>
      <h2>Week 1 exit criteria</h2>
      <ul>
        {WEEK1_CHECKS.map((check) => (
          <li key={check}>{check}</li>
        ))}
      </ul>
    </>
  );
}
