using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Mosaic.Store.Backup;

/// <summary>PostgreSQL's client programs (pg_dump, pg_restore): where they are and how to run one against a store.</summary>
public static class PostgresTools
{
    /// <summary>Where Debian installs each major version's programs (/usr/lib/postgresql/17/bin, ...).</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>
    /// The newest Debian-installed <paramref name="tool"/>, else the first on PATH. The newest first: pg_dump refuses a
    /// server newer than itself, and Debian's /usr/bin wrappers may pick an older version when several are installed.
    /// </summary>
    public static string Find(string tool)
    {
        if (Directory.Exists(DebianRoot))
        {
            var newest = Directory.GetDirectories(DebianRoot)
                .Select(d => (Path: Path.Combine(d, "bin", tool), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
                .Where(c => File.Exists(c.Path))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Path)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{tool} not found (neither in {DebianRoot}/*/bin nor on PATH): install PostgreSQL's client programs (Debian: postgresql-client)");
    }

    /// <summary>
    /// Runs <paramref name="tool"/> against the server <paramref name="connection"/> is open on (for a multi-host string,
    /// the host it chose), passing credentials through the environment so they never show in a process list.
    /// </summary>
    public static async Task RunAsync(string tool, IReadOnlyList<string> args, NpgsqlConnection connection, string connectionString, CancellationToken ct)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo(Find(tool)) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PGHOST"] = connection.Host ?? settings.Host;
        info.Environment["PGPORT"] = connection.Port.ToString(CultureInfo.InvariantCulture);
        info.Environment["PGDATABASE"] = connection.Database;
        info.Environment["PGUSER"] = settings.Username ?? Environment.UserName;
        if (settings.Password is { } password)
        {
            info.Environment["PGPASSWORD"] = password;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        output.Append(await stdout.ConfigureAwait(false)).Append(await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {output.ToString().Trim()}");
        }
    }
}
