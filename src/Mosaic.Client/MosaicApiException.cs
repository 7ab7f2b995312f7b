namespace Mosaic.Client;

/// <summary>An error answer of the Mosaic API: HTTP status, error code and the detail naming what is wrong.</summary>
public sealed class MosaicApiException(int status, string error, string detail) : Exception($"{status} {error}: {detail}")
{
    public int Status { get; } = status;

    public string Error { get; } = error;

    public string Detail { get; } = detail;
}
