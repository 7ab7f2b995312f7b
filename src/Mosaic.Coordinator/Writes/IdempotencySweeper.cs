using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Writes;

/// <summary>Deletes idempotency keys older than their retention every <see cref="CoordinatorOptions.IdempotencySweepInterval"/>.</summary>
/// <remarks>
/// Expiry itself does not wait for the sweep (the store ignores an expired key when it looks one up); the sweep keeps
/// the table bounded by what one retention window writes. Every coordinator sweeps: the delete is idempotent and uses
/// an index on the key's age, so several at once cost little, and no leader is needed.
/// </remarks>
public sealed partial class IdempotencySweeper(IIdempotencyStore store, IOptions<CoordinatorOptions> options, TimeProvider time, ILogger<IdempotencySweeper> logger) : BackgroundService
{
    private readonly ILogger<IdempotencySweeper> _logger = logger;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.IdempotencySweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                long swept = await store.SweepIdempotencyKeysAsync(stoppingToken).ConfigureAwait(false);
                if (swept > 0)
                {
                    LogSwept(swept, store.Retention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The store is down or busy: the next tick tries again, and expired keys are ignored meanwhile.
                LogSweepFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Swept {Count} idempotency keys older than {Retention}")]
    private partial void LogSwept(long count, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sweep idempotency keys; retrying at the next interval")]
    private partial void LogSweepFailed(Exception ex);
}
