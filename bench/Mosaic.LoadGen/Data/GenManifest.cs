namespace Mosaic.LoadGen.Data;

/// <summary>What `gen` wrote, with its settings, as manifest.json next to the files.</summary>
internal sealed record GenManifest(
    GenSettings Settings,
    string Docs,
    string[] Tails,
    string Queries,
    string FilteredQueries,
    string FilterExample,
    double FilterSelectivity,
    double Seconds);
