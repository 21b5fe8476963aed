/** Runs once per test run: says loudly which databases the run cannot reach, instead of once per file. */
export default function setup(): void {
  if (!process.env.SQLGATE_TEST_MSSQL_URL) {
    console.warn(
      '\n!!! SQL Server integration tests SKIPPED: no SQL Server here. Set SQLGATE_TEST_MSSQL_URL=sqlserver://user:pass@host:1433/master?trustServerCertificate=true to run them.\n',
    );
  }
}
