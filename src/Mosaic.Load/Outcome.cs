namespace Mosaic.Load;

/// <summary>The result of one search: its kind, and for failures a short stable reason ("http_503", "timeout", ...).</summary>
public readonly record struct Outcome(OutcomeKind Kind, string? Error = null)
{
    public static Outcome Ok { get; } = new(OutcomeKind.Ok);

    public static Outcome Empty { get; } = new(OutcomeKind.Empty);

    public static Outcome Partial { get; } = new(OutcomeKind.Partial, "partial");

    public static Outcome Failed(string reason) => new(OutcomeKind.Failed, reason);

    public bool IsError => Kind is OutcomeKind.Failed or OutcomeKind.Partial;
}
