using System.CommandLine;
using Mosaic.Client;
using Mosaic.Core.Observability;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic status`: nodes and the shard map of a running Mosaic, as tables.</summary>
internal static class StatusVerb
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "a coordinator's address", DefaultValueFactory = _ => "http://127.0.0.1:7700/" };
        var command = new Command("status", "Show nodes, shards, replicas and replication lag") { url };
        command.SetAction(async (result, ct) =>
        {
            string address = result.GetValue(url)!;
            if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var uri))
            {
                await Console.Error.WriteLineAsync($"mosaic status: --url must be an http(s) address, got '{address}'");
                return 2;
            }

            using var client = new MosaicClient(uri, Environment.GetEnvironmentVariable(KeysVerb.KeyVariable));
            Contracts.ClusterResponse cluster;
            try
            {
                cluster = await client.GetClusterAsync(ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or MosaicApiException)
            {
                await Console.Error.WriteLineAsync($"mosaic status: cannot read {uri}cluster: {ex.Message}");
                return 1;
            }

            var nodes = new Table().AddColumns("node", "role", "address", "state", "lease expires", "replicas", "data disk free");
            foreach (var n in cluster.Nodes)
            {
                AddRow(nodes, n.Name, n.Role, n.Address, State(n), n.LeaseExpiresAt?.ToString("HH:mm:ss") ?? "-", n.ShardsHeld.ToString(), Disk(n));
            }

            AnsiConsole.Write(nodes);
            var shards = new Table().AddColumns("collection", "shard", "slots", "replicas (node state lag)");
            foreach (var c in cluster.Collections)
            {
                foreach (var s in c.Shards)
                {
                    AddRow(shards, c.Name, s.Shard.ToString(), s.Range, string.Join("; ", s.Replicas.Select(r => $"{r.Node} {r.State} {r.Lag}")));
                }
            }

            AnsiConsole.Write(shards);
            // Reasons in full, below the tables: they name shards and workers and do not fit a cell.
            foreach (var n in cluster.Nodes.Where(n => n.Drain is { State: "blocked" }))
            {
                Console.WriteLine($"drain of {n.Name} blocked ({n.Drain!.ReplicasLeft} replica(s) left, still serving): {n.Drain.Reason}");
            }

            foreach (var (c, s) in cluster.Collections.SelectMany(c => c.Shards.Where(s => s.Blocked is not null).Select(s => (c, s))))
            {
                Console.WriteLine($"shard {c.Name}/{s.Shard} waits for a place: {s.Blocked}");
            }

            Console.WriteLine(cluster.PlacementVersion is long v ? $"placement version {v}" : "embedded (single node)");
            return 0;
        });
        return command;
    }

    /// <summary>"draining (blocked, 4 left)" for a drained node: whether its drain moves, waits, or is done.</summary>
    private static string State(Contracts.NodeResponse node) =>
        node.Drain is { } drain ? $"{node.State} ({drain.State}{(drain.ReplicasLeft > 0 ? $", {drain.ReplicasLeft} left" : "")})" : node.State;

    /// <summary>"12.3 GiB of 100 GiB", and "LOW (floor 20 GiB)" when below the node's floor; "-" for nodes without shards.</summary>
    private static string Disk(Contracts.NodeResponse node) => node.DiskFreeBytes is not long free
        ? "-"
        : $"{ByteSize.Format(free)} of {ByteSize.Format(node.DiskTotalBytes ?? 0)}" + (node.DiskLow ? $", LOW (floor {ByteSize.Format(node.DiskFloorBytes ?? 0)})" : "");

    /// <summary>Cells are plain text: slot ranges like "[0,128)" must not be read as markup.</summary>
    private static void AddRow(Table table, params string[] cells) => table.AddRow(cells.Select(c => new Text(c)).ToArray());
}
