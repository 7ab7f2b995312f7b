using System.CommandLine;
using System.Globalization;
using Mosaic.Client;
using Mosaic.Contracts;
using Mosaic.Hosting.Access;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic keys create|list|revoke`: API keys, through a running node (--url) or offline against its store.</summary>
/// <remarks>
/// Through a node the CLI authenticates with an admin key from <c>--key</c> or the environment variable
/// <c>MOSAIC_API_KEY</c>. Offline (<c>--data DIR</c> for the embedded store, <c>--store CONN</c> for PostgreSQL) it needs
/// none: that is how the first admin key is made. <c>create</c> prints the new key alone on stdout, so scripts can
/// capture it (<c>KEY=$(mosaic keys create ...)</c>).
/// </remarks>
internal static class KeysVerb
{
    /// <summary>The environment variable the CLI takes its API key from when --key is not given.</summary>
    public const string KeyVariable = "MOSAIC_API_KEY";

    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "read, write or admin", Required = true };
        role.AcceptOnlyFromAmong("read", "write", "admin");
        var rate = new Option<double?>("--rate") { Description = "requests per second this key may make (default: unlimited)" };
        var create = new Command("create", "Create a key; prints the key alone on stdout (it is shown only once)") { role, rate };
        var list = new Command("list", "List keys: id, role, rate, created, revoked");
        var keyArgument = new Argument<string>("KEY") { Description = "the key (mk_...) or its id as `keys list` shows it" };
        var revoke = new Command("revoke", "Revoke a key: every coordinator refuses it within Mosaic:Auth:KeyCacheTtl") { keyArgument };
        var target = new Target();
        foreach (var command in new[] { create, list, revoke })
        {
            target.AddTo(command);
        }

        create.SetAction((result, ct) => target.RunAsync(
            result,
            "create",
            (client, c) =>
            {
                KeyAdmin.CheckRate(result.GetValue(rate));
                return client.CreateKeyAsync(result.GetValue(role)!, result.GetValue(rate), c);
            },
            (admin, c) => admin.CreateAsync(result.GetValue(role), result.GetValue(rate), c),
            created => Console.WriteLine(created.Key),
            ct));
        list.SetAction((result, ct) => target.RunAsync(
            result,
            "list",
            async (client, c) => (await client.ListKeysAsync(c)).Keys,
            (admin, c) => admin.ListAsync(c),
            Print,
            ct));
        revoke.SetAction((result, ct) => target.RunAsync(
            result,
            "revoke",
            (client, c) => client.RevokeKeyAsync(Core.Access.ApiKeyTokens.IdFromKeyOrId(result.GetValue(keyArgument)!), c),
            (admin, c) => admin.RevokeAsync(result.GetValue(keyArgument)!, c),
            revoked => Console.WriteLine($"revoked key {revoked.Id} ({revoked.Role})"),
            ct));
        return new Command("keys", "Manage API keys (roles read, write, admin; optional rate limits)") { create, list, revoke };
    }

    private static void Print(List<KeyResponse> keys)
    {
        var table = new Table().AddColumns("id", "role", "rate (req/s)", "created", "revoked");
        foreach (var k in keys)
        {
            table.AddRow(
                new Text(k.Id),
                new Text(k.Role),
                new Text(k.Rate?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"),
                new Text(k.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
                new Text(k.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-"));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>Where the keys live: a running node (--url, with --key or MOSAIC_API_KEY) or a store opened here.</summary>
    private sealed class Target
    {
        private readonly Option<string?> _url = new("--url") { Description = "a running node's address (authenticates with --key or MOSAIC_API_KEY)" };
        private readonly Option<string?> _key = new("--key") { Description = $"an admin key (default: the {KeyVariable} environment variable)" };
        private readonly Option<string?> _data = new("--data") { Description = "offline: the embedded data directory (created if new)" };
        private readonly Option<string?> _store = new("--store") { Description = "offline: the PostgreSQL connection string of the cluster store" };

        public void AddTo(Command command)
        {
            command.Add(_url);
            command.Add(_key);
            command.Add(_data);
            command.Add(_store);
        }

        public async Task<int> RunAsync<T>(
            ParseResult result,
            string verb,
            Func<MosaicClient, CancellationToken, Task<T>> remote,
            Func<KeyAdmin, CancellationToken, Task<T>> offline,
            Action<T> print,
            CancellationToken ct)
        {
            string? url = result.GetValue(_url);
            string? data = result.GetValue(_data);
            string? store = result.GetValue(_store);
            if (new[] { url, data, store }.Count(v => v is not null) != 1)
            {
                await Console.Error.WriteLineAsync($"mosaic keys {verb}: give exactly one of --url URL (a running node), --data DIR (embedded store) or --store CONN (PostgreSQL)");
                return 2;
            }

            try
            {
                if (url is null)
                {
                    print(await KeyAdmin.OfflineAsync(data is null ? null : Path.GetFullPath(data), store, admin => offline(admin, ct)));
                    return 0;
                }

                if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    await Console.Error.WriteLineAsync($"mosaic keys {verb}: --url must be an http(s) address, got '{url}'");
                    return 2;
                }

                using var client = new MosaicClient(uri, result.GetValue(_key) ?? Environment.GetEnvironmentVariable(KeyVariable));
                print(await remote(client, ct));
                return 0;
            }
            catch (MosaicApiException ex)
            {
                await Console.Error.WriteLineAsync($"mosaic keys {verb}: {ex.Status} {ex.Error}: {ex.Detail}");
                return 1;
            }
            catch (Core.Errors.MosaicException ex)
            {
                await Console.Error.WriteLineAsync($"mosaic keys {verb}: {ex.Detail}");
                return 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"mosaic keys {verb}: {ex.Message}");
                return 1;
            }
        }
    }
}
