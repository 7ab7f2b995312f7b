using System.Threading.Channels;
using Npgsql;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// Asks for one NOTIFY of committed document changes. Requests made while one is being sent fold into the next, so
    /// however fast this store writes, it sends at most one notification per round trip.
    /// </summary>
    /// <remarks>
    /// Document writes do not NOTIFY inside their own transaction on purpose. PostgreSQL serializes the commits of all
    /// notifying transactions on one database-wide lock, held through the commit's WAL flush, which stops concurrent
    /// writers from sharing a flush: measured on the 2-core dev box under load (fsync on, 8-32 writers on one store),
    /// single-document writes ran at 190-310/s with the NOTIFY in the write transaction, 340-510/s with no NOTIFY at all,
    /// and 380-600/s with this announcer (1 writer: ~130/s, one flush per commit, either way). The announcement goes out right
    /// after the commit in its own transaction with synchronous_commit off, which holds that lock for microseconds and
    /// never waits for a flush. A process that dies between the two leaves its tailers to find the change by polling,
    /// which they do anyway. Rare changes (catalog, nodes, placement) still notify inside their transaction.
    /// </remarks>
    private void AnnounceDocumentChanges() => _announcements.Writer.TryWrite(true);

    private static Channel<bool> NewAnnouncementQueue() =>
        System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private async Task AnnounceAsync()
    {
        while (true)
        {
            try
            {
                await _announcements.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                await using var connection = await _announceSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                await using var notify = new NpgsqlCommand(NotifySql("docs"), connection);
                await notify.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The change is committed either way; tailers elsewhere find it on their next poll.
                LogAnnounceFailed(ex);
            }
        }
    }
}
