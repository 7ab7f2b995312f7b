using System.CommandLine;
using Mosaic.Store.Migration;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic migrate --data DIR --to CONN`: moves a stopped embedded server's store into an empty PostgreSQL
/// cluster store with the same ids, then counts both sides.</summary>
internal static class MigrateVerb
{
    /// <summary>Exit code when the two stores do not hold the same rows after the copy.</summary>
    private const int Mismatch = 3;

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "data directory of a stopped embedded server (holds store.db)", Required = true };
        var to = new Option<string>("--to") { Description = "PostgreSQL connection string of an empty cluster store", Required = true };
        var command = new Command("migrate", "Move an embedded (SQLite) store into a PostgreSQL cluster store with the same ids, and verify the counts") { data, to };
        command.SetAction(async (result, ct) =>
        {
            string store = Path.Combine(Path.GetFullPath(result.GetValue(data)!), "store.db");
            MigrationReport report;
            try
            {
                report = await SqliteToPostgres.MigrateAsync(store, result.GetValue(to)!, ct);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
            {
                await Console.Error.WriteLineAsync($"mosaic migrate: {ex.Message}");
                return 1;
            }

            var tables = new Table().AddColumns("table", "sqlite rows", "postgresql rows", "");
            foreach (var t in report.Tables)
            {
                tables.AddRow(new Text(t.Table), new Text(t.Source.ToString()), new Text(t.Target.ToString()), new Text(t.Source == t.Target ? "ok" : "MISMATCH"));
            }

            AnsiConsole.Write(tables);
            CensusTable.Print("collections in PostgreSQL", report.Target.Select(c => (c.Name, c.Shards, c.Docs, c.LogHead)));
            if (!report.Matches)
            {
                await Console.Error.WriteLineAsync("mosaic migrate: the counts differ between the two stores (see above)");
                return Mismatch;
            }

            Console.WriteLine("counts match: every table and collection has the same rows in both stores");
            return 0;
        });
        return command;
    }
}
