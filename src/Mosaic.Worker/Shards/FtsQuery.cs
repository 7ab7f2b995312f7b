using System.Text;

namespace Mosaic.Worker.Shards;

/// <summary>Turns free text into a safe FTS5 query: every word quoted (so no FTS syntax can be injected), OR-ed for BM25.</summary>
internal static class FtsQuery
{
    public static string? Build(string text)
    {
        var terms = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                terms.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            terms.Add(word.ToString());
        }

        return terms.Count == 0 ? null : string.Join(" OR ", terms.Distinct(StringComparer.OrdinalIgnoreCase).Take(64).Select(t => $"\"{t}\""));
    }
}
