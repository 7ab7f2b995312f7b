using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Filters eq / in / gt / gte / lt / lte / and / or / not on keyword and number fields, against sets computed here.</summary>
public sealed class FilterTests(FilterDataFixture data, ITestOutputHelper output) : IClassFixture<FilterDataFixture>
{
    private static readonly Dictionary<string, (Func<JsonObject> Filter, Func<FilterRow, bool> Matches)> Cases = new()
    {
        ["eq-keyword"] = (() => Clause("category", ("eq", "red")), r => r.Category == "red"),
        ["eq-number"] = (() => Clause("year", ("eq", 2020)), r => r.Year == 2020),
        ["in-keyword"] = (() => Clause("category", ("in", Array("red", "blue"))), r => r.Category is "red" or "blue"),
        ["in-number"] = (() => Clause("year", ("in", Array(2016, 2019, 2023))), r => r.Year is 2016 or 2019 or 2023),
        ["gt"] = (() => Clause("price", ("gt", 50)), r => r.Price > 50),
        ["gte"] = (() => Clause("price", ("gte", 50)), r => r.Price >= 50),
        ["lt"] = (() => Clause("price", ("lt", 25.5)), r => r.Price < 25.5),
        ["lte"] = (() => Clause("price", ("lte", 25.5)), r => r.Price <= 25.5),
        ["range-in-one-clause"] = (() => Clause("price", ("gte", 10), ("lt", 60)), r => r.Price >= 10 && r.Price < 60),
        ["year-range"] = (() => Clause("year", ("gt", 2018), ("lte", 2022)), r => r.Year > 2018 && r.Year <= 2022),
        ["and"] = (() => And(Clause("category", ("eq", "red")), Clause("price", ("lt", 50))), r => r.Category == "red" && r.Price < 50),
        ["or"] = (() => Or(Clause("category", ("eq", "green")), Clause("year", ("gte", 2023))), r => r.Category == "green" || r.Year >= 2023),
        ["not-keyword"] = (() => Not(Clause("category", ("eq", "black"))), r => r.Category != "black"),
        ["not-number"] = (() => Not(Clause("year", ("in", Array(2015, 2016)))), r => r.Year is not (2015 or 2016)),
        ["nested"] = (
            () => And(Or(Clause("category", ("eq", "red")), Clause("category", ("eq", "blue"))), Not(Clause("year", ("lt", 2018))), Clause("price", ("lte", 80))),
            r => (r.Category is "red" or "blue") && !(r.Year < 2018) && r.Price <= 80),
        ["no-match"] = (() => Clause("category", ("eq", "purple")), _ => false),
    };

    public static TheoryData<string, string> CaseNames()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Cases.Keys)
        {
            foreach (var mode in new[] { "keyword", "vector", "hybrid" })
            {
                data.Add(name, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public Task Filter_ReturnsExactlyTheMatchingDocs(string caseName, string mode) => Seeds.WithSeedAsync(data.Seed, async () =>
    {
        output.WriteLine($"data seed {data.Seed}");
        var (filter, matches) = Cases[caseName];
        var expected = data.Rows.Where(matches).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();

        var answer = await data.Http.SearchAsync(FilterDataFixture.Collection, Search(mode, filter(), 1000));
        var actual = MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    });

    [Theory]
    [InlineData("keyword")]
    [InlineData("vector")]
    [InlineData("hybrid")]
    public Task TopK_IsHonoured(string mode) => Seeds.WithSeedAsync(data.Seed, async () =>
    {
        Assert.Equal(7, MosaicHttp.HitIds(await data.Http.SearchAsync(FilterDataFixture.Collection, Search(mode, null, 7))).Count);
        Assert.Single(MosaicHttp.HitIds(await data.Http.SearchAsync(FilterDataFixture.Collection, Search(mode, null, 1))));
        Assert.Equal(200, MosaicHttp.HitIds(await data.Http.SearchAsync(FilterDataFixture.Collection, Search(mode, null, 1000))).Count);

        var defaultTopK = Search(mode, null, 1);
        defaultTopK.Remove("top_k");
        Assert.Equal(10, MosaicHttp.HitIds(await data.Http.SearchAsync(FilterDataFixture.Collection, defaultTopK)).Count);

        // With a filter, top_k cuts the matching set, and every hit still matches.
        var filtered = await data.Http.SearchAsync(FilterDataFixture.Collection, Search(mode, Clause("category", ("eq", "green")), 5, include: true));
        var hits = filtered["hits"]!.AsArray();
        Assert.Equal(Math.Min(5, data.Rows.Count(r => r.Category == "green")), hits.Count);
        Assert.All(hits, h => Assert.Equal("green", h!["fields"]!["category"]!.GetValue<string>()));
    });

    [Fact]
    public Task Include_ReturnsEachHitsTextAndFields() => Seeds.WithSeedAsync(data.Seed, async () =>
    {
        var answer = await data.Http.SearchAsync(FilterDataFixture.Collection, Search("vector", Clause("year", ("gte", 2020)), 20, include: true));
        var rows = data.Rows.ToDictionary(r => r.Id);
        var hits = answer["hits"]!.AsArray();
        Assert.NotEmpty(hits);
        foreach (var hit in hits)
        {
            var row = rows[hit!["id"]!.GetValue<string>()];
            Assert.Equal($"item common w{row.Id}", hit["text"]!.GetValue<string>());
            Assert.Equal(row.Category, hit["fields"]!["category"]!.GetValue<string>());
            Assert.Equal(row.Year, hit["fields"]!["year"]!.GetValue<double>());
            Assert.Equal(row.Price, hit["fields"]!["price"]?.GetValue<double>());
        }
    });

    [Fact]
    public Task Filter_OnUnknownField_Returns400NamingIt() => Seeds.WithSeedAsync(data.Seed, async () =>
    {
        var r = await data.Http.PostAsync($"collections/{FilterDataFixture.Collection}/search", Search("keyword", Clause("colour", ("eq", "red")), 10));
        r.AssertError(HttpStatusCode.BadRequest, "colour");
        var nested = await data.Http.PostAsync($"collections/{FilterDataFixture.Collection}/search", Search("vector", And(Clause("category", ("eq", "red")), Not(Clause("weight", ("gt", 1)))), 10));
        nested.AssertError(HttpStatusCode.BadRequest, "weight");
    });

    [Fact]
    public Task Filter_WithWrongValueTypeOrOperator_Returns400() => Seeds.WithSeedAsync(data.Seed, async () =>
    {
        var path = $"collections/{FilterDataFixture.Collection}/search";
        (await data.Http.PostAsync(path, Search("keyword", Clause("price", ("gt", "fifty")), 10))).AssertError(HttpStatusCode.BadRequest, "price", "gt");
        (await data.Http.PostAsync(path, Search("keyword", Clause("category", ("gt", 5)), 10))).AssertError(HttpStatusCode.BadRequest, "category", "gt");
        (await data.Http.PostAsync(path, Search("keyword", Clause("price", ("between", Array(1, 2))), 10))).AssertError(HttpStatusCode.BadRequest, "between");
        (await data.Http.PostAsync(path, Search("keyword", Clause("price", ("in", 5)), 10))).AssertError(HttpStatusCode.BadRequest, "in");
        (await data.Http.PostAsync(path, Search("keyword", new JsonObject { ["and"] = "not-an-array" }, 10))).AssertError(HttpStatusCode.BadRequest, "and");
    });

    private JsonObject Search(string mode, JsonObject? filter, int topK, bool include = false)
    {
        var search = new JsonObject { ["mode"] = mode, ["top_k"] = topK, ["consistency"] = new JsonObject { ["after"] = data.Token } };
        if (mode is "keyword" or "hybrid")
        {
            search["query"] = "common";
        }

        if (mode is "vector" or "hybrid")
        {
            search["vector"] = Vector(ClusteredVectors.Uniform(new Random(data.Seed ^ topK), FilterDataFixture.Dimension));
        }

        if (filter is not null)
        {
            search["filter"] = filter;
        }

        if (include)
        {
            search["include"] = Array("text", "fields");
        }

        return search;
    }
}
