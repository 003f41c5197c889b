import Link from "next/link";
import "./globals.css";

export const metadata = {
  title: "Maestro ML · Admin",
  description: "Operations dashboard for the Maestro ML platform",
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <strong>Maestro ML Admin</strong>
          <Link href="/">Overview</Link>
          <Link href="/services">Services</Link>
        </nav>
        <main>{children}</main>
      </body>
    </html>
  );
}
