using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>Prints per-collection counts (backup, restore, migrate) as a table with a total line.</summary>
internal static class CensusTable
{
    public static void Print(string title, IEnumerable<(string Name, int Shards, long Docs, long LogHead)> rows)
    {
        var list = rows.ToList();
        var table = new Table().AddColumns("collection", "shards", "docs", "log head");
        foreach (var r in list)
        {
            table.AddRow(new Text(r.Name), new Text(r.Shards.ToString()), new Text(r.Docs.ToString()), new Text(r.LogHead.ToString()));
        }

        Console.WriteLine(title);
        AnsiConsole.Write(table);
        Console.WriteLine($"{list.Count} collections, {list.Sum(r => r.Docs)} documents");
    }
}
