using Npgsql;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Keeps one LISTEN connection open and turns every notification into a local wake-up; reconnects with exponential
    /// backoff when the connection drops. Notifications sent while it was down are lost, so each (re)connect wakes
    /// everyone once: their next look at the store catches up.
    /// </summary>
    private async Task ListenAsync()
    {
        var backoff = FirstBackoff;
        bool failedBefore = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                connection.Notification += (_, _) => _signal.Notify();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }

                if (failedBefore)
                {
                    LogListenRestored();
                }

                backoff = FirstBackoff;
                failedBefore = false;
                _signal.Notify();
                while (true)
                {
                    await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // Stopping: cancellation, or the connection torn down under the wait.
                return;
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // Whatever broke the connection (server gone, terminated, network), the only remedy is a new one;
                // letting the loop die would leave this process deaf to other coordinators until restarted.
                LogListenFailed(ex, backoff.TotalMilliseconds);
                failedBefore = true;
                try
                {
                    await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
