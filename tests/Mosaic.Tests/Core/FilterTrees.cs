using Mosaic.Core.Search;
using Xunit;

namespace Mosaic.Tests.Core;

/// <summary>Compares <see cref="Filter"/> trees node by node.</summary>
internal static class FilterTrees
{
    /// <summary>Structural equality (records compare lists by reference, so this walks them).</summary>
    public static void AssertSame(Filter expected, Filter actual)
    {
        switch (expected)
        {
            case Filter.And e:
                AssertSameItems(e.Items, Assert.IsType<Filter.And>(actual).Items);
                break;
            case Filter.Or e:
                AssertSameItems(e.Items, Assert.IsType<Filter.Or>(actual).Items);
                break;
            case Filter.Not e:
                AssertSame(e.Item, Assert.IsType<Filter.Not>(actual).Item);
                break;
            case Filter.KeywordIn e:
                var k = Assert.IsType<Filter.KeywordIn>(actual);
                Assert.Equal(e.Field, k.Field);
                Assert.Equal(e.Values, k.Values);
                break;
            case Filter.NumberIn e:
                var n = Assert.IsType<Filter.NumberIn>(actual);
                Assert.Equal(e.Field, n.Field);
                Assert.Equal(e.Values, n.Values);
                break;
            case Filter.NumberRange e:
                Assert.Equal(e, Assert.IsType<Filter.NumberRange>(actual));
                break;
            default:
                throw new Xunit.Sdk.XunitException($"unexpected node {expected}");
        }
    }

    private static void AssertSameItems(IReadOnlyList<Filter> expected, IReadOnlyList<Filter> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            AssertSame(expected[i], actual[i]);
        }
    }
}
