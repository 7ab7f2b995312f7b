using System.Globalization;

namespace Mosaic.Testing;

/// <summary>A real PostgreSQL server for tests: a fresh cluster in a temp dir, on a free 127.0.0.1 port, trust auth.</summary>
/// <remarks>
/// <para>
/// The binaries come from MOSAIC_PG_BIN, else the newest /usr/lib/postgresql/*/bin (the Debian layout), else PATH.
/// initdb and the server refuse to run as root, so under root they run as the <c>postgres</c> system user
/// (<c>runuser</c>) in a directory that user owns. The unix socket lives in the temp dir, so clusters never collide on
/// /var/run/postgresql, and nothing is shared with a distro cluster on 5432.
/// </para>
/// <para>
/// One server is meant to be shared by a test class or collection: each test takes its own database from
/// <see cref="CreateDatabaseAsync"/>. <see cref="KillAsync"/> is a crash (SIGKILL to the postmaster and all its
/// processes); <see cref="StartAgainAsync"/> then runs crash recovery on the same data and port, like a restarted host.
/// </para>
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _dir;
    private readonly string _bin;
    private readonly bool _fsync;
    private readonly bool _asRoot;
    private int? _postmasterPid;

    private PostgresServer(TempDirectory dir, string bin, bool fsync, bool asRoot)
    {
        _dir = dir;
        _bin = bin;
        _fsync = fsync;
        _asRoot = asRoot;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The database created with the server.</summary>
    public const string DefaultDatabase = "mosaic";

    public int Port { get; private set; }

    public string DataDirectory => _dir.Combine("data");

    public string LogPath => _dir.Combine("postgres.log");

    public bool IsRunning => _postmasterPid is { } pid && ProcessTree.IsAlive(pid);

    /// <summary>Connection string of <see cref="DefaultDatabase"/>.</summary>
    public string ConnectionString => ConnectionStringFor(DefaultDatabase);

    public string ConnectionStringFor(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}");

    /// <summary>Creates and starts a fresh server with an empty <see cref="DefaultDatabase"/>.</summary>
    /// <param name="fsync">Leave on unless a test does not care about durability and needs the speed.</param>
    public static async Task<PostgresServer> StartAsync(bool fsync = true)
    {
        string bin = FindBinaries();
        bool asRoot = Environment.UserName == "root";
        var dir = new TempDirectory("mosaic-pg");
        var server = new PostgresServer(dir, bin, fsync, asRoot);
        try
        {
            await server.PrepareDirectoriesAsync().ConfigureAwait(false);
            // --no-sync only skips flushing the freshly made template files; the server itself runs with fsync as asked.
            await server.RunPgAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]).ConfigureAwait(false);
            await server.StartOnFreePortAsync().ConfigureAwait(false);
            await server.CreateDatabaseAsync(DefaultDatabase).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates and starts a streaming standby of this server on a free port: <c>pg_basebackup -R -X stream</c> copies the
    /// data directory (after a fast checkpoint: the default spread one can take minutes) and writes the replication settings, so the standby follows this server's WAL from then on.
    /// </summary>
    /// <remarks>It replicates synchronously once this server lists it in <c>synchronous_standby_names</c> (its
    /// application name is <c>walreceiver</c>, or set <c>'*'</c>).</remarks>
    public async Task<PostgresServer> StartStandbyAsync()
    {
        var standby = new PostgresServer(new TempDirectory("mosaic-pg-standby"), _bin, _fsync, _asRoot);
        try
        {
            await standby.PrepareDirectoriesAsync().ConfigureAwait(false);
            await standby.RunPgAsync("pg_basebackup", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-D", standby.DataDirectory, "-R", "-X", "stream", "--checkpoint=fast", "--no-password"]).ConfigureAwait(false);
            await standby.StartOnFreePortAsync().ConfigureAwait(false);
            return standby;
        }
        catch
        {
            await standby.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Promotes this standby to a primary (<c>pg_ctl promote</c>) and waits until it accepts writes.</summary>
    public Task PromoteAsync() => RunPgAsync("pg_ctl", ["promote", "-D", DataDirectory, "-w", "-t", "60"]);

    /// <summary>Starts the server again on the same data directory and port (after <see cref="StopAsync"/> or <see cref="KillAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        RemoveStaleLockFile();
        try
        {
            await RunPgAsync("pg_ctl", ["start", "-D", DataDirectory, "-l", LogPath, "-w", "-t", "60", "-o", ServerOptions()]).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- server log (tail) ---\n{LogTail()}", ex);
        }

        _postmasterPid = ReadPostmasterPid();
    }

    /// <summary>A clean ("fast") shutdown: sessions are closed, everything committed stays.</summary>
    public async Task StopAsync()
    {
        if (!IsRunning)
        {
            return;
        }

        await RunPgAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"]).ConfigureAwait(false);
        _postmasterPid = null;
    }

    /// <summary>A crash: SIGKILL to the postmaster and every process of the server, then waits until all are gone.</summary>
    public async Task KillAsync()
    {
        if (_postmasterPid is not { } pid)
        {
            return;
        }

        await ProcessTree.KillAsync(pid, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _postmasterPid = null;
    }

    /// <summary>Creates a database (a fresh name when none is given) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"t_{Guid.NewGuid():N}";
        await RunAsync(Path.Combine(_bin, "createdb"), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", name]).ConfigureAwait(false);
        return ConnectionStringFor(name);
    }

    /// <summary>Runs SQL through psql and returns its unaligned, tuples-only output (for tests that do not reference Npgsql).</summary>
    public Task<string> QueryAsync(string sql, string database = DefaultDatabase) => RunAsync(
        Path.Combine(_bin, "psql"),
        ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql]);

    /// <summary>The server log (start-up failures, crash recovery), for failure messages.</summary>
    public string ReadLog()
    {
        try
        {
            return File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (IsRunning)
        {
            try
            {
                await RunPgAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"]).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // It would not stop: kill it rather than leave a server behind.
            }

            if (_postmasterPid is { } pid)
            {
                await ProcessTree.KillAsync(pid, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
        }

        _postmasterPid = null;
        _dir.Dispose();
    }

    private string LogTail()
    {
        var lines = ReadLog().Split('\n');
        return string.Join('\n', lines[Math.Max(0, lines.Length - 30)..]);
    }

    private async Task StartOnFreePortAsync()
    {
        // The port was free a moment ago; another process may take it before the server binds, so try a few.
        for (int attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            try
            {
                await StartAgainAsync().ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                _postmasterPid = null;
            }
        }
    }

    /// <summary>The temp dir and its socket dir, owned by the postgres user when we are root (the server runs as that user).</summary>
    private async Task PrepareDirectoriesAsync()
    {
        if (_asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _dir.Path]).ConfigureAwait(false);
        }

        Directory.CreateDirectory(_dir.Combine("sock"));
        if (_asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _dir.Combine("sock")]).ConfigureAwait(false);
        }
    }

    private string ServerOptions() => string.Join(' ', [
        "-p", Port.ToString(CultureInfo.InvariantCulture),
        "-k", _dir.Combine("sock"),
        "-c", "listen_addresses=127.0.0.1",
        // Each store instance pools up to 100 connections plus its LISTEN connection; cluster tests run several processes.
        "-c", "max_connections=400",
        "-c", "shared_buffers=32MB",
        "-c", _fsync ? "fsync=on" : "fsync=off",
        "-c", "log_min_messages=warning",
        "-c", "log_connections=off",
    ]);

    /// <summary>
    /// After <see cref="KillAsync"/> the postmaster may linger as a zombie (its adoptive parent need not reap it), and
    /// PostgreSQL takes any existing pid for a running server. A crashed host leaves no process at all, so a lock file
    /// whose process is gone or a zombie is removed, as a reboot would have made it irrelevant.
    /// </summary>
    private void RemoveStaleLockFile()
    {
        string lockFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(lockFile) || ProcessTree.IsAlive(ReadPostmasterPid()))
        {
            return;
        }

        File.Delete(lockFile);
        // The unix socket's lock file names the dead pid too.
        foreach (var socketFile in Directory.EnumerateFiles(_dir.Combine("sock"), ".s.PGSQL.*"))
        {
            File.Delete(socketFile);
        }
    }

    private int ReadPostmasterPid()
    {
        // postmaster.pid is owned by postgres but world-readable; its first line is the postmaster's pid.
        string first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First();
        return int.Parse(first.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a server binary, as the postgres user when we are root (initdb and postgres refuse root).</summary>
    private Task<string> RunPgAsync(string tool, IReadOnlyList<string> args) => _asRoot
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
        : RunAsync(Path.Combine(_bin, tool), args);

    private async Task<string> RunAsync(string fileName, IReadOnlyList<string> args)
    {
        var result = await ChildProcess.RunAsync(fileName, args, CommandTimeout, _dir.Path).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"{fileName} {string.Join(' ', args)} exited with {result.ExitCode}:\n{result.Output}");
    }

    private static string FindBinaries()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MOSAIC_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(Path.Combine(fromEnv, "initdb"))
                ? fromEnv
                : throw new InvalidOperationException($"MOSAIC_PG_BIN={fromEnv} has no initdb");
        }

        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
                .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
        return onPath ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, none on PATH, MOSAIC_PG_BIN unset): apt-get install postgresql (./test.sh does it)");
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // Last resort when a test host exits without disposing: never leave a server running behind it.
        if (_postmasterPid is { } pid)
        {
            ProcessTree.KillNow(pid);
        }
    }
}
