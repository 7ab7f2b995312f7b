using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>A server with one collection of ~200 seeded docs (category, price, year), loaded once for all filter tests.</summary>
public sealed class FilterDataFixture : IAsyncLifetime
{
    public const string Collection = "filters";
    public const int Dimension = 8;
    public static readonly string[] Categories = ["red", "green", "blue", "black"];

    private MosaicServer? _server;

    public MosaicHttp Http => (_server ?? throw new InvalidOperationException("not started")).Http;
    public int Seed { get; } = Seeds.Pick();
    public List<FilterRow> Rows { get; } = [];
    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _server = await MosaicServer.StartAsync();
        await Http.CreateCollectionAsync(Collection, new JsonObject
        {
            ["dimension"] = Dimension,
            ["metric"] = "cosine",
            ["shards"] = 4,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number", ["year"] = "number" },
        });

        var random = new Random(Seed);
        for (var i = 0; i < 200; i++)
        {
            // Prices on a 0.5 grid so that equality bounds (gte/lte) are hit; 5% of docs have no price.
            double? price = random.Next(20) == 0 ? null : random.Next(0, 201) / 2.0;
            Rows.Add(new FilterRow($"f{i}", Categories[random.Next(Categories.Length)], price, 2015 + random.Next(10), ClusteredVectors.Uniform(random, Dimension)));
        }

        var lines = Rows.Select(r =>
        {
            var fields = new JsonObject { ["category"] = r.Category, ["year"] = r.Year };
            if (r.Price is { } p)
            {
                fields["price"] = p;
            }

            return Line(Doc($"item common w{r.Id}", r.Vector, fields, id: r.Id));
        });
        var (_, token) = await Http.BulkOkAsync(Collection, lines);
        Token = token;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>One generated document of the filter data set, as the test knows it.</summary>
public sealed record FilterRow(string Id, string Category, double? Price, int Year, float[] Vector);
