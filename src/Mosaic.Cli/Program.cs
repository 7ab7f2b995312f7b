using System.CommandLine;
using Mosaic.Cli.Verbs;
using Mosaic.Core.Placement;

var root = new RootCommand("Mosaic: hybrid vector + keyword search, embedded or as a cluster")
{
    HostedVerb.Create("serve", NodeRole.Serve, "Run every part in this process: store (SQLite, or PostgreSQL with --store), coordinator and workers"),
    HostedVerb.Create("coordinator", NodeRole.Coordinator, "Run a stateless coordinator (HTTP API) over a PostgreSQL store"),
    HostedVerb.Create("worker", NodeRole.Worker, "Run a worker holding shard replicas (gRPC) over a PostgreSQL store"),
    GatewayVerb.Create(),
    HostedVerb.Create("embedder", NodeRole.Embedder, "Run an embedder: the text embedding model behind /v1/embeddings, registered in a PostgreSQL store for coordinators to use"),
    ImportVerb.Create(),
    StatusVerb.Create(),
    KeysVerb.Create(),
    AdviseVerb.Create(),
    PlanVerb.Create(),
    BenchVerb.Create(),
    BackupVerb.Create(),
    RestoreVerb.Create(),
    MigrateVerb.Create(),
};
return await root.Parse(args).InvokeAsync();
