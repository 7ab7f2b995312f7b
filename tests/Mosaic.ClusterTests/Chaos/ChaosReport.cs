using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>What the soak saw: broken invariants (each a sentence naming the request and the answer) and counts of outcomes.</summary>
public sealed class ChaosReport
{
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _samples = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Violations => [.. _violations];

    public void Violation(string what) => _violations.Enqueue($"[{DateTime.Now:HH:mm:ss.fff}] {what}");

    public void Count(string outcome) => _counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    /// <summary>Counts <paramref name="outcome"/> and keeps the first few <paramref name="details"/> of it for the log.</summary>
    public void Count(string outcome, string details)
    {
        Count(outcome);
        var kept = _samples.GetOrAdd(outcome, _ => new ConcurrentQueue<string>());
        if (kept.Count < 20)
        {
            kept.Enqueue(details);
        }
    }

    /// <summary>The details kept by <see cref="Count(string, string)"/>, one line each.</summary>
    public string Samples() => string.Join('\n', _samples.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.Value.Select(v => $"  {s.Key}: {v}")));

    public long CountOf(string outcome) => _counts.GetValueOrDefault(outcome);

    /// <summary>One line per outcome counted, sorted.</summary>
    public string Counts()
    {
        var text = new StringBuilder();
        foreach (var (outcome, n) in _counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{outcome}={n} ");
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The assertion message for the violations, or null when there are none.</summary>
    public string? Failure(string during)
    {
        var all = Violations;
        return all.Count == 0 ? null : $"{all.Count} invariant(s) broken {during}:\n{string.Join('\n', all.Take(30))}";
    }
}
