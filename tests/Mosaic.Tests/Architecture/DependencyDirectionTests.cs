using System.Reflection;
using Xunit;

namespace Mosaic.Tests.Architecture;

/// <summary>Keeps the layering of STYLE.md true: Core ← Index/Store/Embedding ← Worker/Coordinator ← Hosting ← Cli.</summary>
public sealed class DependencyDirectionTests
{
    [Theory]
    [InlineData("Mosaic.Core", new string[0])]
    [InlineData("Mosaic.Index", new[] { "Mosaic.Core" })]
    [InlineData("Mosaic.Store", new[] { "Mosaic.Core" })]
    [InlineData("Mosaic.Embedding", new[] { "Mosaic.Core" })]
    [InlineData("Mosaic.Worker", new[] { "Mosaic.Core", "Mosaic.Index", "Mosaic.Contracts" })]
    [InlineData("Mosaic.Coordinator", new[] { "Mosaic.Core", "Mosaic.Contracts" })]
    [InlineData("Mosaic.Contracts", new string[0])]
    [InlineData("Mosaic.Gateway", new[] { "Mosaic.Core" })]
    [InlineData("Mosaic.Load", new[] { "Mosaic.Contracts" })]
    public void Part_references_only_the_parts_below_it(string assembly, string[] allowed)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Mosaic.", StringComparison.Ordinal))
            .Order()
            .ToArray();
        Assert.Equal(allowed.Order().ToArray(), references);
    }

    [Fact]
    public void Worker_and_coordinator_never_reference_each_other_or_the_store()
    {
        foreach (var (part, forbidden) in new[] { ("Mosaic.Worker", new[] { "Mosaic.Coordinator", "Mosaic.Store" }), ("Mosaic.Coordinator", new[] { "Mosaic.Worker", "Mosaic.Store" }) })
        {
            var references = Assembly.Load(part).GetReferencedAssemblies().Select(a => a.Name!).ToList();
            foreach (var name in forbidden)
            {
                Assert.DoesNotContain(name, references);
            }
        }
    }
}
