using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mosaic.Core.Placement;
using Mosaic.Hosting;

namespace Mosaic.Cli.Verbs;

/// <summary>The verbs that run a Mosaic process (serve, coordinator, worker): same flags, different role.</summary>
/// <remarks>Every flag is also a setting (Mosaic:Port, Mosaic:Store, …) from appsettings.json or MOSAIC__* variables.</remarks>
internal static class HostedVerb
{
    public static Command Create(string name, NodeRole role, string description)
    {
        var port = new Option<int?>("--port") { Description = "port to listen on (default 7700; a worker serves gRPC on it)" };
        var data = new Option<string?>("--data") { Description = "data directory for the store file and shard files (default ./mosaic-data)" };
        var host = new Option<string?>("--host") { Description = "address to listen on (default 127.0.0.1)" };
        var store = new Option<string?>("--store") { Description = "PostgreSQL connection string of the cluster store (default: embedded SQLite)" };
        var advertise = new Option<string?>("--advertise") { Description = "host:port other nodes reach this one at (default host:port)" };
        var redis = new Option<string?>("--redis") { Description = "StackExchange.Redis configuration string (Mosaic:Redis) for the shared cache and rate limits (default: none)" };
        // Further settings pass through as --Mosaic:Section:Key=value, so unknown tokens are not errors here.
        var command = new Command(name, description) { port, data, host, store, advertise, redis };
        var serves = new Option<string?>("--serves") { Description = "which requests this coordinator answers: read, write or both (default both); the gateway routes by it" };
        serves.AcceptOnlyFromAmong("read", "write", "both");
        if (role == NodeRole.Coordinator)
        {
            command.Add(serves);
        }

        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, ct) =>
        {
            var settings = new Dictionary<string, string?> { ["Mosaic:Role"] = role.ToString() };
            Set(settings, "Mosaic:Host", result.GetValue(host));
            Set(settings, "Mosaic:Store", result.GetValue(store));
            Set(settings, "Mosaic:Advertise", result.GetValue(advertise));
            Set(settings, "Mosaic:Redis", result.GetValue(redis));
            Set(settings, "Mosaic:Coordinator:Serves", result.GetValue(serves));
            WebApplication app;
            try
            {
                var extra = PassThroughArgs();
                app = MosaicApp.Build(result.GetValue(data), result.GetValue(port), settings, extra);
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync("mosaic: invalid settings:\n  " + string.Join("\n  ", ex.Failures));
                return 2;
            }

            // Disposed at the end: the container disposes the store, whose last connection folds its write-ahead log.
            await using var disposeApp = app;
            using var fileSizeSignal = FileSizeSignal.Handle();
            var options = app.Services.GetRequiredService<IOptions<MosaicOptions>>().Value;
            try
            {
                await app.StartAsync(ct);
            }
            catch (Exception ex) when (Store.StoreFailures.IsDamaged(ex))
            {
                // Said plainly, once, instead of a stack trace: nothing but a restore brings the store back.
                string where = options.Embedded ? Path.Combine(Path.GetFullPath(options.DataDir), "store.db") : "the PostgreSQL store (Mosaic:Store)";
                await Console.Error.WriteLineAsync(
                    $"mosaic: the store is damaged: {where} ({ex.GetBaseException().Message}).\n" +
                    "  Nothing was changed. Restore the latest backup into a new place and start there:\n" +
                    (options.Embedded
                        ? "    mosaic restore --from BACKUP_DIR --data NEW_DATA_DIR && mosaic serve --data NEW_DATA_DIR\n"
                        : "    mosaic restore --from BACKUP_DIR --store \"CONNECTION STRING OF AN EMPTY DATABASE\"\n") +
                    "  Shard files are rebuilt from the restored store (docs/operations.md, \"A damaged store\").");
                return 4;
            }

            Console.WriteLine($"Mosaic {name} listening on {string.Join(", ", app.Urls)} ({(options.Embedded ? "data: " + Path.GetFullPath(options.DataDir) : "store: PostgreSQL")})");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>Settings given as --Mosaic:Section:Key=value, and Kestrel's own (--Kestrel:Endpoints:Https:Url=..., for TLS).</summary>
    internal static string[] PassThroughArgs() =>
        Environment.GetCommandLineArgs().Where(a => a.StartsWith("--Mosaic:", StringComparison.Ordinal) || a.StartsWith("--Kestrel:", StringComparison.Ordinal)).ToArray();

    internal static void Set(Dictionary<string, string?> settings, string key, string? value)
    {
        if (value is not null)
        {
            settings[key] = value;
        }
    }
}
