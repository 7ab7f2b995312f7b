using System.CommandLine;
using Mosaic.LoadGen.Cli;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    // Spectre assumes 80 columns without a terminal; result tables are wider and go to log files.
    AnsiConsole.Profile.Width = 220;
}

var root = new RootCommand("Mosaic load generator: closed-loop and open-loop (coordinated-omission-corrected) search load on 127.0.0.1, data generation, restart probes")
{
    RunVerb.Create(),
    GenVerb.Create(),
    ProbeVerb.Create(),
    SummaryVerb.Create(),
};
return await root.Parse(args).InvokeAsync();
