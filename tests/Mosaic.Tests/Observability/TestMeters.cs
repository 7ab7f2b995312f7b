using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Mosaic.Core.Observability;

namespace Mosaic.Tests.Observability;

/// <summary>A real <see cref="IMeterFactory"/> (the one the host registers) for parts constructed directly in tests.</summary>
internal static class TestMeters
{
    private static readonly ServiceProvider Provider = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public static IMeterFactory Factory => Provider.GetRequiredService<IMeterFactory>();

    public static MosaicMetrics NewMetrics() => new(Factory);
}
