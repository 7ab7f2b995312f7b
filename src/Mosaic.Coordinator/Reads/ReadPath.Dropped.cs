using Mosaic.Core.Collections;
using Mosaic.Core.Errors;

namespace Mosaic.Coordinator.Reads;

public sealed partial class ReadPath
{
    /// <summary>
    /// Shards that did not answer may belong to a collection dropped after this coordinator's snapshot was taken (the
    /// drop's notification still on its way): then the answer is 404, as for any request after the DELETE, not 503.
    /// </summary>
    /// <remarks>One store read, on the failure path only, waited for at most <paramref name="wait"/>: with the store down
    /// or slow the shards' report stands.</remarks>
    private async Task ThrowIfDroppedAsync(CollectionInfo info, TimeSpan wait, CancellationToken ct)
    {
        bool dropped;
        using (var timer = new CancellationTokenSource(wait, time))
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token))
        {
            try
            {
                dropped = await router.IsDroppedAsync(info, bounded.Token).AsTask().WaitAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                return;
            }
        }

        if (dropped)
        {
            throw MosaicException.NotFound($"collection '{info.Name}' does not exist");
        }
    }
}
