namespace Mosaic.IntegrationTests;

/// <summary>Unique, valid collection names (<c>[a-z0-9_-]{1,64}</c>).</summary>
public static class Names
{
    private static int _counter;

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 14)];
}
