using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Mosaic.Hosting.Http;

/// <summary>Names an endpoint's request body type for the OpenAPI document only.</summary>
/// <remarks>
/// Endpoints read their bodies themselves (to name the offending field in errors and to accept any content type, as
/// curl -d sends form encoding); <c>Accepts&lt;T&gt;</c> would make routing reject such requests with 415.
/// </remarks>
internal sealed record RequestBodyDoc(Type Type, string ContentType);

internal static class RequestBodyDocs
{
    public static TBuilder Body<T, TBuilder>(this TBuilder builder, string contentType = "application/json")
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyDoc(typeof(T), contentType));

    public static void AddRequestBodyDocs(this OpenApiOptions options) =>
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            var doc = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDoc>().FirstOrDefault();
            if (doc is null)
            {
                return;
            }

            var schema = await context.GetOrCreateSchemaAsync(doc.Type, null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { [doc.ContentType] = new() { Schema = schema } },
            };
        });
}
