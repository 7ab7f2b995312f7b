namespace Mosaic.Worker.Shards;

/// <summary>Writes a snapshot file whole or not at all: a temporary file, fsynced, then renamed over the old one.</summary>
internal static class SnapshotFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>; returns its bytes. On failure the old file
    /// stays and the temporary one is removed (on a full disk it would hold the space the next attempt needs).</summary>
    public static long Write(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        try
        {
            long bytes;
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(file);
                file.Flush(flushToDisk: true);
                bytes = file.Length;
            }

            File.Move(temp, path, overwrite: true);
            return bytes;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next attempt, which truncates it.
        }
    }
}
