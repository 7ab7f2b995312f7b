namespace Mosaic.Core.Requests;

/// <summary>What a public HTTP request does, as far as routing between read and write coordinators goes.</summary>
public enum ApiRequestKind
{
    /// <summary>Health, readiness, metrics, cluster view, OpenAPI: every node answers these about itself.</summary>
    Operations,

    /// <summary>Changes nothing: searches, GETs, embeddings.</summary>
    Read,

    /// <summary>Changes data or the cluster: document and collection writes, administration.</summary>
    Write,
}
