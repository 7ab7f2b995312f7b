using Microsoft.Extensions.Hosting;
using Mosaic.Embedding.Local;

namespace Mosaic.Hosting.Embedding;

/// <summary>Loads the model while an embedder node starts, so it answers its first request at full speed.</summary>
/// <remarks>The HTTP port opens after this returns: a node that answers /health has its model in memory.</remarks>
internal sealed class EmbedderWarmup(LocalEmbedder local) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(local.Warm, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
