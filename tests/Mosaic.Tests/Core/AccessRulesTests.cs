using Mosaic.Core.Access;
using Xunit;

namespace Mosaic.Tests.Core;

/// <summary>The role each request needs with keys on: routing matches paths ignoring case, so the rule must too.</summary>
public sealed class AccessRulesTests
{
    [Theory]
    [InlineData("GET", "/keys", ApiRole.Admin)]
    [InlineData("GET", "/KEYS", ApiRole.Admin)]
    [InlineData("GET", "/Keys/", ApiRole.Admin)]
    [InlineData("POST", "/Admin/backup", ApiRole.Admin)]
    [InlineData("PUT", "/COLLECTIONS/c/DOCS/d1", ApiRole.Write)]
    [InlineData("POST", "/Collections/c/Docs:Bulk", ApiRole.Write)]
    [InlineData("PUT", "/Collections/c", ApiRole.Admin)]
    [InlineData("POST", "/collections/c/SEARCH", ApiRole.Read)]
    [InlineData("GET", "/collections/c", ApiRole.Read)]
    [InlineData("GET", "/dashboard/data", ApiRole.Read)]
    public void Needs_the_role_of_the_route_whatever_the_case(string method, string path, ApiRole expected) =>
        Assert.Equal(expected, AccessRules.RequiredRole(method, path));

    [Theory]
    [InlineData("GET", "/health")]
    [InlineData("GET", "/READY")]
    [InlineData("GET", "/Dashboard")]
    public void Probes_need_no_key(string method, string path) => Assert.Null(AccessRules.RequiredRole(method, path));
}
