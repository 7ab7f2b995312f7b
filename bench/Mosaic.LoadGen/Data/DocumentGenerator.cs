using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mosaic.LoadGen.Data;

/// <summary>Writes a seeded synthetic corpus: clustered unit vectors, topical text, a category and a price per document, plus query sets.</summary>
/// <remarks>
/// Each document belongs to one of the clusters: its vector is the cluster center plus Gaussian noise, normalized to
/// unit length; its text is 4-10 words, about a third of them the cluster's topic words and the rest Zipf-distributed
/// common vocabulary. Queries come from the same clusters (2 topic words, sometimes a common word), so vector, keyword
/// and hybrid search all have something to rank. Categories are uniform and prices uniform in [1, 1000), so the
/// filter "category = X and price &lt; 200" keeps about 0.2 / categories of the documents.
/// </remarks>
internal sealed class DocumentGenerator
{
    private const int TopicWordsPerCluster = 16;
    private const double TopicShare = 0.35;
    private const double FilterPriceBelow = 200;
    private readonly GenSettings _settings;
    private readonly float[][] _centers;
    private readonly Vocabulary _vocabulary;

    public DocumentGenerator(GenSettings settings)
    {
        _settings = settings;
        _vocabulary = new Vocabulary(settings.VocabularySize);
        var random = new Random(settings.Seed);
        _centers = new float[settings.Clusters][];
        for (int c = 0; c < _centers.Length; c++)
        {
            _centers[c] = Normalize(Gaussian(random, settings.Dimension, 1.0));
        }
    }

    public double FilterSelectivity => FilterPriceBelow / 1000.0 / _settings.Categories;

    public GenManifest WriteAll(DirectoryInfo output)
    {
        long started = Stopwatch.GetTimestamp();
        output.Create();
        var docs = new Random(_settings.Seed + 1);
        string Path(string name) => System.IO.Path.Combine(output.FullName, name);
        WriteDocuments(Path("docs.jsonl"), 0, _settings.Docs, docs);
        WriteDocuments(Path("tail-1.jsonl"), _settings.Docs, _settings.Tail, docs);
        WriteDocuments(Path("tail-2.jsonl"), _settings.Docs + _settings.Tail, _settings.Tail, docs);
        WriteQueries(Path("queries.jsonl"), new Random(_settings.Seed + 2), filtered: false);
        WriteQueries(Path("queries-filtered.jsonl"), new Random(_settings.Seed + 3), filtered: true);
        var manifest = new GenManifest(
            _settings,
            "docs.jsonl",
            ["tail-1.jsonl", "tail-2.jsonl"],
            "queries.jsonl",
            "queries-filtered.jsonl",
            Encoding.UTF8.GetString(FilterJson(0)),
            FilterSelectivity,
            Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2));
        File.WriteAllBytes(Path("manifest.json"), JsonSerializer.SerializeToUtf8Bytes(manifest, Results.LoadGenJson.Default.GenManifest));
        return manifest;
    }

    private void WriteDocuments(string path, int firstId, int count, Random random)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new Utf8JsonWriter(stream);
        for (int i = 0; i < count; i++)
        {
            int cluster = random.Next(_centers.Length);
            writer.WriteStartObject();
            writer.WriteString("id", $"d{firstId + i:D7}");
            writer.WriteString("text", Text(random, cluster, random.Next(4, 11), TopicShare));
            WriteVector(writer, random, cluster);
            writer.WriteStartObject("fields");
            writer.WriteString("category", Category(random.Next(_settings.Categories)));
            writer.WriteNumber("price", Math.Round(1 + (random.NextDouble() * 999), 2));
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
        }
    }

    private void WriteQueries(string path, Random random, bool filtered)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new Utf8JsonWriter(stream);
        for (int i = 0; i < _settings.Queries; i++)
        {
            int cluster = random.Next(_centers.Length);
            writer.WriteStartObject();
            writer.WriteNumber("cluster", cluster);
            var words = new List<string> { Topic(random, cluster), Topic(random, cluster) };
            if (random.NextDouble() < 0.5)
            {
                words.Add(_vocabulary.Sample(random));
            }

            writer.WriteString("query", string.Join(' ', words.Distinct()));
            WriteVector(writer, random, cluster);
            if (filtered)
            {
                writer.WritePropertyName("filter");
                writer.WriteRawValue(FilterJson(random.Next(_settings.Categories)));
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
        }
    }

    private static byte[] FilterJson(int category) => Encoding.UTF8.GetBytes(
        $$"""{"and":[{"field":"category","eq":"{{Category(category)}}"},{"field":"price","lt":{{FilterPriceBelow.ToString(CultureInfo.InvariantCulture)}}}]}""");

    private static string Category(int c) => $"cat-{c:D2}";

    private string Topic(Random random, int cluster) => _vocabulary.Topic(cluster, random.Next(TopicWordsPerCluster), TopicWordsPerCluster);

    private string Text(Random random, int cluster, int words, double topicShare)
    {
        var text = new StringBuilder();
        for (int w = 0; w < words; w++)
        {
            if (w > 0)
            {
                text.Append(' ');
            }

            text.Append(random.NextDouble() < topicShare ? Topic(random, cluster) : _vocabulary.Sample(random));
        }

        return text.ToString();
    }

    private void WriteVector(Utf8JsonWriter writer, Random random, int cluster)
    {
        var center = _centers[cluster];
        var v = Gaussian(random, center.Length, _settings.Spread / Math.Sqrt(center.Length));
        for (int d = 0; d < v.Length; d++)
        {
            v[d] += center[d];
        }

        Normalize(v);
        writer.WriteStartArray("vector");
        foreach (float x in v)
        {
            // Six decimals keep the file about 40% smaller than round-trip floats; the norm stays 1 within ~1e-6.
            writer.WriteNumberValue((float)Math.Round(x, 6));
        }

        writer.WriteEndArray();
    }

    private static float[] Gaussian(Random random, int dimension, double sigma)
    {
        var v = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            v[i] = (float)(sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }

    private static float[] Normalize(float[] v)
    {
        double norm = 0;
        foreach (float x in v)
        {
            norm += x * (double)x;
        }

        norm = Math.Sqrt(norm);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)(v[i] / norm);
        }

        return v;
    }
}
