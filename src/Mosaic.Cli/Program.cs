using System.CommandLine;
using Mosaic.Cli.Verbs;

var root = new RootCommand("Mosaic: hybrid vector + keyword search, embedded or as a cluster")
{
    ServeVerb.Create(),
    ImportVerb.Create(),
};
return await root.Parse(args).InvokeAsync();
