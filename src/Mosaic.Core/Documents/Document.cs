namespace Mosaic.Core.Documents;

/// <summary>A document as written by a client: id, optional text, optional vector, optional fields.</summary>
/// <remarks><see cref="FieldsJson"/> is the client's JSON object as sent (validated); declared fields are read from it.</remarks>
public sealed record Document(string Id, string? Text, float[]? Vector, string? FieldsJson);
