using Mosaic.Core.Requests;
using Xunit;

namespace Mosaic.Tests.Core;

/// <summary>The one rule that splits requests between read and write coordinators (used by coordinators and the gateway).</summary>
public sealed class ApiRequestsTests
{
    [Theory]
    [InlineData("POST", "/collections/shoes/search", ApiRequestKind.Read)]
    [InlineData("POST", "/collections/shoes/search:batch", ApiRequestKind.Read)]
    [InlineData("post", "/collections/shoes/search/", ApiRequestKind.Read)]
    [InlineData("POST", "/v1/embeddings", ApiRequestKind.Read)]
    [InlineData("GET", "/collections/shoes/docs/d1", ApiRequestKind.Read)]
    [InlineData("HEAD", "/collections/shoes", ApiRequestKind.Read)]
    [InlineData("GET", "/collections", ApiRequestKind.Read)]
    [InlineData("PUT", "/collections/shoes/docs/d1", ApiRequestKind.Write)]
    [InlineData("DELETE", "/collections/shoes/docs/d1", ApiRequestKind.Write)]
    [InlineData("POST", "/collections/shoes/docs:bulk", ApiRequestKind.Write)]
    [InlineData("PUT", "/collections/shoes", ApiRequestKind.Write)]
    [InlineData("DELETE", "/collections/shoes", ApiRequestKind.Write)]
    [InlineData("POST", "/collections/search/docs:bulk", ApiRequestKind.Write)]
    [InlineData("POST", "/collections/shoes/shards/3:split", ApiRequestKind.Write)]
    [InlineData("POST", "/cluster/nodes/n1:drain", ApiRequestKind.Write)]
    [InlineData("PATCH", "/collections/shoes/search", ApiRequestKind.Write)]
    [InlineData("GET", "/health", ApiRequestKind.Operations)]
    [InlineData("GET", "/ready", ApiRequestKind.Operations)]
    [InlineData("GET", "/metrics", ApiRequestKind.Operations)]
    [InlineData("GET", "/cluster", ApiRequestKind.Operations)]
    [InlineData("GET", "/openapi/v1.json", ApiRequestKind.Operations)]
    [InlineData("GET", "/healthy", ApiRequestKind.Read)]
    public void Classifies_by_method_and_path(string method, string path, ApiRequestKind expected) =>
        Assert.Equal(expected, ApiRequests.Classify(method, path));
}
