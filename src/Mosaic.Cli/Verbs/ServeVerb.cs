using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mosaic.Hosting;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic serve`: the embedded server (store + coordinator + workers) in this process.</summary>
internal static class ServeVerb
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "HTTP port (default 7700; 0 = any free port)" };
        var data = new Option<string?>("--data") { Description = "data directory (default ./mosaic-data)" };
        var host = new Option<string?>("--host") { Description = "address to listen on (default 127.0.0.1)" };
        var command = new Command("serve", "Run Mosaic embedded: SQLite store, coordinator and workers in one process") { port, data, host };
        command.SetAction(async (result, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            if (result.GetValue(host) is { } h)
            {
                settings["Mosaic:Host"] = h;
            }

            WebApplication app;
            try
            {
                app = MosaicApp.Build(result.GetValue(data), result.GetValue(port), settings, Environment.GetCommandLineArgs().Skip(2).Where(a => a.StartsWith("--Mosaic:", StringComparison.Ordinal)).ToArray());
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync("mosaic: invalid settings:\n  " + string.Join("\n  ", ex.Failures));
                return 2;
            }

            await app.StartAsync(ct);
            Console.WriteLine($"Mosaic listening on {string.Join(", ", app.Urls)} (data: {Path.GetFullPath(app.Services.GetRequiredService<IOptions<MosaicOptions>>().Value.DataDir)})");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
