using System.CommandLine;
using System.Globalization;
using Mosaic.LoadGen.Data;

namespace Mosaic.LoadGen.Cli;

/// <summary>`gen`: writes a seeded synthetic corpus (docs.jsonl, tail-1/2.jsonl) and query sets (queries.jsonl, queries-filtered.jsonl).</summary>
internal static class GenVerb
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "output directory", Required = true };
        var docs = new Option<int>("--docs") { Description = "documents in docs.jsonl", DefaultValueFactory = _ => 100_000 };
        var tail = new Option<int>("--tail") { Description = "documents in each of tail-1.jsonl and tail-2.jsonl", DefaultValueFactory = _ => 2_000 };
        var queries = new Option<int>("--queries") { Description = "queries per query file", DefaultValueFactory = _ => 1_000 };
        var dimension = new Option<int>("--dimension") { Description = "vector dimension", DefaultValueFactory = _ => 128 };
        var clusters = new Option<int>("--clusters") { Description = "vector clusters (topics)", DefaultValueFactory = _ => 64 };
        var categories = new Option<int>("--categories") { Description = "distinct values of the category field", DefaultValueFactory = _ => 20 };
        var spread = new Option<double>("--spread") { Description = "noise norm around a cluster center (centers have norm 1)", DefaultValueFactory = _ => 0.5 };
        var vocabulary = new Option<int>("--vocabulary") { Description = "distinct words", DefaultValueFactory = _ => 4_000 };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 42 };
        var command = new Command("gen", "Generate a synthetic corpus and query sets (seeded, deterministic)")
        {
            output, docs, tail, queries, dimension, clusters, categories, spread, vocabulary, seed,
        };
        command.SetAction(result =>
        {
            var settings = new GenSettings(
                result.GetValue(docs), result.GetValue(tail), result.GetValue(queries), result.GetValue(dimension), result.GetValue(clusters),
                result.GetValue(categories), result.GetValue(spread), result.GetValue(vocabulary), result.GetValue(seed));
            if (settings.Docs is < 1 or > 50_000_000 || settings.Tail is < 0 or > 10_000_000 || settings.Queries is < 1 or > 1_000_000
                || settings.Dimension is < 1 or > 4096 || settings.Clusters < 1 || settings.Categories is < 1 or > 100
                || settings.VocabularySize is < 200 or > 700_000 || !(settings.Spread >= 0))
            {
                Console.Error.WriteLine("loadgen gen: a setting is out of range (docs 1..50M, tail 0..10M, queries 1..1M, dimension 1..4096, categories 1..100, vocabulary 200..700k)");
                return 2;
            }

            var manifest = new DocumentGenerator(settings).WriteAll(result.GetValue(output)!);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {settings.Docs} documents (+2x{settings.Tail} tail), {settings.Queries} queries x2 in {manifest.Seconds:F1} s; filter selectivity {manifest.FilterSelectivity:P2}"));
            return 0;
        });
        return command;
    }
}
