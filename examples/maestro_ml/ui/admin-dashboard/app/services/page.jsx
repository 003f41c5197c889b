import { SERVICES } from "@/lib/services";

export const metadata = { title: "Services · Maestro ML Admin" };

export default function ServicesPage() {
  return (
    <>
      <h1>Services</h1>
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Role</th>
            <th>Host port</th>
            <th>Healthcheck</th>
          </tr>
        </thead>
        <tbody>
          {SERVICES.map((s) => (
            <tr key={s.name}>
              <td>{s.name}</td>
              <td>{s.role}</td>
              <td>{s.port ?? "—"}</td>
              <td>{s.healthcheck ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
