using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mosaic.Hosting;

namespace Mosaic.Cli.Verbs;

/// <summary><c>mosaic gateway</c>: a load balancer in front of the coordinators, found in the store or listed with --backends.</summary>
/// <remarks>Every flag is also a setting (Mosaic:Gateway:Backends, Mosaic:Gateway:Policy, …); others pass as --Mosaic:Gateway:Key=value.</remarks>
internal static class GatewayVerb
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "port to listen on (default 7700)" };
        var host = new Option<string?>("--host") { Description = "address to listen on (default 127.0.0.1)" };
        var store = new Option<string?>("--store") { Description = "PostgreSQL connection string of the cluster store: the gateway follows its live coordinators" };
        var backends = new Option<string?>("--backends") { Description = "comma-separated coordinator URLs, instead of --store" };
        var backups = new Option<string?>("--backups") { Description = "comma-separated backup coordinator URLs, used only while no primary is healthy" };
        var policy = new Option<string?>("--policy") { Description = "load balancing: RoundRobin, LeastRequests, PowerOfTwoChoices (default), Random, FirstAlphabetical" };
        var command = new Command("gateway", "Run a gateway (YARP) in front of the coordinators: health checks, read/write split, retries of reads")
        {
            port, host, store, backends, backups, policy,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, ct) =>
        {
            var settings = new Dictionary<string, string?>();
            HostedVerb.Set(settings, "Mosaic:Host", result.GetValue(host));
            HostedVerb.Set(settings, "Mosaic:Store", result.GetValue(store));
            HostedVerb.Set(settings, "Mosaic:Gateway:Backends", result.GetValue(backends));
            HostedVerb.Set(settings, "Mosaic:Gateway:Backups", result.GetValue(backups));
            HostedVerb.Set(settings, "Mosaic:Gateway:Policy", result.GetValue(policy));
            WebApplication app;
            try
            {
                var extra = HostedVerb.PassThroughArgs();
                app = MosaicApp.BuildGateway(result.GetValue(port), settings, extra);
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync("mosaic: invalid settings:\n  " + string.Join("\n  ", ex.Failures));
                return 2;
            }

            await using var disposeApp = app;
            await app.StartAsync(ct);
            Console.WriteLine($"Mosaic gateway listening on {string.Join(", ", app.Urls)}");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
