namespace Mosaic.Testing;

/// <summary>Random seeds for tests: taken from MOSAIC_TEST_SEED when set (to reproduce a failure), else fresh; always reported on failure.</summary>
public static class Seeds
{
    public static int Pick()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MOSAIC_TEST_SEED");
        return int.TryParse(fromEnv, out var seed) ? seed : Random.Shared.Next();
    }

    /// <summary>Runs <paramref name="body"/>; a failure is rethrown with <paramref name="seed"/> (chosen elsewhere, e.g. by a fixture) in its message.</summary>
    public static async Task WithSeedAsync(int seed, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not SeededTestFailure)
        {
            throw new SeededTestFailure(seed, ex);
        }
    }

    /// <summary>Runs <paramref name="body"/> with a seed; a failure is rethrown with the seed in its message so the run can be repeated.</summary>
    public static async Task RunAsync(Action<string> log, Func<int, Task> body)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(body);
        var seed = Pick();
        log($"random seed {seed} (rerun with MOSAIC_TEST_SEED={seed})");
        try
        {
            await body(seed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not SeededTestFailure)
        {
            throw new SeededTestFailure(seed, ex);
        }
    }
}

/// <summary>A test failure that carries the random seed it ran with.</summary>
public sealed class SeededTestFailure(int seed, Exception inner)
    : Exception($"[MOSAIC_TEST_SEED={seed}] {inner.Message}", inner)
{
    public int Seed { get; } = seed;
}
