using Npgsql;

namespace Mosaic.Store.Postgres;

/// <summary>How to reach the cluster store: an Npgsql connection string (Host=…;Port=…;Username=…;Database=…).</summary>
/// <remarks>
/// Several hosts (<c>Host=pg1:5432,pg2:5432</c>: a primary and its streaming standbys) make a failover store: every
/// connection goes to whichever host is primary now, so after a standby is promoted the same string reaches it.
/// </remarks>
public sealed record PostgresStoreOptions(string ConnectionString)
{
    /// <summary>How long an idempotency key answers its first result (see <see cref="Core.Seams.IIdempotencyStore"/>).</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long Npgsql trusts what it learnt of a host (primary, standby, down) when Mosaic sets it.</summary>
    /// <remarks>Npgsql's default is 10 s: a standby promoted just after Npgsql saw it as a standby would stay unused that long,
    /// and every write fails meanwhile. A recheck costs one query on a new physical connection only.</remarks>
    public const int FailoverRecheckSeconds = 2;

    /// <summary>
    /// The string Mosaic connects with. With several hosts and no <c>Target Session Attributes</c>, it asks for the
    /// primary (Npgsql's default, <c>any</c>, could land writes on a read-only standby), and it shortens Npgsql's
    /// default host recheck to <see cref="FailoverRecheckSeconds"/>; values given explicitly are kept.
    /// </summary>
    public string EffectiveConnectionString
    {
        get
        {
            var builder = Read(ConnectionString);
            if (builder.Host is not { } host || !host.Contains(',', StringComparison.Ordinal))
            {
                return ConnectionString;
            }

            builder.TargetSessionAttributes ??= "primary";
            if (!Mentions("Host Recheck Seconds") && !Mentions("HostRecheckSeconds"))
            {
                builder.HostRecheckSeconds = FailoverRecheckSeconds;
            }

            return builder.ConnectionString;
        }
    }

    /// <summary>What is wrong with <paramref name="connectionString"/> as Npgsql reads it; null when it reads.</summary>
    public static string? Problem(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql answers an unknown setting ("garbage=1") with a bare KeyNotFoundException, which says nothing.
            return ex is KeyNotFoundException ? "it has a setting that Npgsql does not know" : ex.InnerException is { } inner ? $"{ex.Message}: {inner.Message}" : ex.Message;
        }
    }

    /// <summary>The settings of <paramref name="connectionString"/>; an <see cref="ArgumentException"/> saying what is wrong when Npgsql cannot read it.</summary>
    public static NpgsqlConnectionStringBuilder Read(string connectionString) => Problem(connectionString) is { } problem
        ? throw new ArgumentException($"the store connection string is not valid: {problem}", nameof(connectionString))
        : new NpgsqlConnectionStringBuilder(connectionString);

    private bool Mentions(string key) => ConnectionString.Contains(key, StringComparison.OrdinalIgnoreCase);
}
