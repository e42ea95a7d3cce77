using System.Diagnostics;
using ControlPlane.Features.Keys;
using ControlPlane.Infrastructure.Cli;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Cli;

/// <summary>The command-line verbs, run in-process against the running app's services and database.</summary>
public abstract class CommandLineTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(App.Services, args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 9)];

    private async Task<ApiKey?> KeyByHashAsync(string hash)
    {
        await using var db = App.OpenDb();
        return await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash);
    }

    private async Task<string> CreateKeyAsync(string name)
    {
        var (exit, stdout, stderr) = await RunAsync("keys", "create", "--team", "Platform", "--name", name);
        Assert.True(exit == 0, stderr);
        return Assert.Single(Lines(stdout));
    }

    [Fact]
    public async Task Users_sign_out_ends_every_session_of_the_person_and_names_an_unknown_one()
    {
        int VersionOf(ControlPlane.Infrastructure.Data.ControlPlaneDb db) =>
            db.Users.AsNoTracking().Single(u => u.Email == "sam.sales@acme.test").SessionVersion;
        int before;
        await using (var db = App.OpenDb()) before = VersionOf(db);

        var (exit, stdout, stderr) = await RunAsync("users", "sign-out", "sam.sales@acme.test");

        Assert.True(exit == 0, stderr);
        Assert.Contains("sam.sales@acme.test", stdout, StringComparison.Ordinal);
        await using (var db = App.OpenDb()) Assert.Equal(before + 1, VersionOf(db));
        var unknown = await RunAsync("users", "sign-out", "nobody@acme.test");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("nobody@acme.test", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_prints_only_the_key_which_is_stored_hashed_with_its_expiry()
    {
        var name = Unique("ci");
        var before = DateTime.UtcNow.AddSeconds(-1);

        var (exit, stdout, stderr) = await RunAsync("keys", "create", "--team", "Platform", "--name", name, "--expires", "30d");

        var after = DateTime.UtcNow.AddSeconds(1);
        Assert.True(exit == 0, stderr);
        var key = Assert.Single(Lines(stdout));
        Assert.Equal(stdout, key + Environment.NewLine);
        Assert.True(KeySecret.LooksLikeKey(key));
        Assert.Equal(48, key.Length);
        Assert.Contains($"Created '{name}' for Platform", stderr, StringComparison.Ordinal);
        Assert.Contains("shown once", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(key, stderr, StringComparison.Ordinal);

        var row = await KeyByHashAsync(KeySecret.HashOf(key));
        Assert.NotNull(row);
        Assert.Equal(name, row.Name);
        Assert.Equal(KeySecret.PrefixOf(key), row.Prefix);
        Assert.StartsWith("cli:", row.CreatedBy, StringComparison.Ordinal);
        Assert.NotNull(row.ExpiresAt);
        Assert.InRange(row.ExpiresAt.Value, before.AddDays(30), after.AddDays(30));
        Assert.Null(row.RevokedAt);
    }

    [Fact]
    public async Task Keys_create_without_a_name_or_expiry_makes_a_named_key_that_does_not_expire()
    {
        var (exit, stdout, stderr) = await RunAsync("keys", "create", "--team", "Search");

        Assert.True(exit == 0, stderr);
        var row = await KeyByHashAsync(KeySecret.HashOf(Assert.Single(Lines(stdout))));
        Assert.NotNull(row);
        Assert.StartsWith("key ", row.Name, StringComparison.Ordinal);
        Assert.Null(row.ExpiresAt);
    }

    [Fact]
    public async Task Keys_create_with_an_expiry_date_stores_that_midnight_UTC()
    {
        var (exit, stdout, stderr) = await RunAsync("keys", "create", "--team", "Platform", "--name", Unique("dated"), "--expires", "2099-01-31");

        Assert.True(exit == 0, stderr);
        var row = await KeyByHashAsync(KeySecret.HashOf(Assert.Single(Lines(stdout))));
        Assert.Equal(new DateTime(2099, 1, 31, 0, 0, 0), row!.ExpiresAt);
    }

    [Fact]
    public async Task Keys_revoke_revokes_the_key_with_that_prefix_and_a_second_time_is_refused()
    {
        var key = await CreateKeyAsync(Unique("revoke"));
        var prefix = KeySecret.PrefixOf(key);

        var first = await RunAsync("keys", "revoke", prefix);
        var second = await RunAsync("keys", "revoke", prefix);

        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains($"Revoked {prefix}", first.Out, StringComparison.Ordinal);
        var row = await KeyByHashAsync(KeySecret.HashOf(key));
        Assert.NotNull(row!.RevokedAt);
        Assert.StartsWith("cli:", row.RevokedBy, StringComparison.Ordinal);

        Assert.Equal(1, second.Exit);
        Assert.Contains("already revoked", second.Err, StringComparison.Ordinal);
        Assert.Equal("", second.Out);
        Assert.Equal(row.RevokedAt, (await KeyByHashAsync(KeySecret.HashOf(key)))!.RevokedAt);
    }

    [Fact]
    public async Task Keys_revoke_of_an_unknown_prefix_is_refused()
    {
        var (exit, stdout, stderr) = await RunAsync("keys", "revoke", "cp-live-00000000");

        Assert.Equal(1, exit);
        Assert.Contains("No key has the prefix 'cp-live-00000000'", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Keys_create_for_a_team_that_does_not_exist_is_refused()
    {
        var name = Unique("nowhere");

        var (exit, stdout, stderr) = await RunAsync("keys", "create", "--team", "NoSuchTeam", "--name", name);

        Assert.Equal(1, exit);
        Assert.Contains("No team is named 'NoSuchTeam'", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        await using var db = App.OpenDb();
        Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == name));
    }

    [Theory]
    [InlineData("keys", "create")]
    [InlineData("keys", "create", "--name", "x")]
    [InlineData("keys", "create", "--team", "Platform", "--bogus", "x")]
    [InlineData("keys", "create", "--team")]
    [InlineData("keys", "create", "--team", "Platform", "--expires", "soon")]
    [InlineData("keys", "create", "--team", "Platform", "--expires", "-3d")]
    [InlineData("keys", "revoke")]
    [InlineData("keys")]
    [InlineData("frobnicate")]
    public async Task Wrong_usage_exits_2_with_a_message_and_changes_nothing(params string[] args)
    {
        await using var db = App.OpenDb();
        var keysBefore = await db.ApiKeys.CountAsync();

        var (exit, stdout, stderr) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.NotEqual("", stderr.Trim());
        Assert.Equal(keysBefore, await db.ApiKeys.CountAsync());
    }

    [Fact]
    public async Task Wrong_usage_says_what_is_wrong()
    {
        Assert.Contains("needs --team", (await RunAsync("keys", "create")).Err, StringComparison.Ordinal);
        Assert.Contains("Unknown option '--bogus'", (await RunAsync("keys", "create", "--team", "Platform", "--bogus", "x")).Err, StringComparison.Ordinal);
        Assert.Contains("--team needs a value", (await RunAsync("keys", "create", "--team")).Err, StringComparison.Ordinal);
        Assert.Contains("got 'soon'", (await RunAsync("keys", "create", "--team", "Platform", "--expires", "soon")).Err, StringComparison.Ordinal);
        var unknown = (await RunAsync("frobnicate")).Err;
        Assert.Contains("Unknown command: frobnicate", unknown, StringComparison.Ordinal);
        Assert.Contains("Usage", unknown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_prints_the_usage(string arg)
    {
        var (exit, stdout, stderr) = await RunAsync(arg);

        Assert.Equal(0, exit);
        Assert.Contains("Usage", stdout, StringComparison.Ordinal);
        Assert.Contains("keys create --team <name>", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Migrate_on_a_migrated_database_says_it_is_up_to_date()
    {
        var (exit, stdout, _) = await RunAsync("migrate");

        Assert.Equal(0, exit);
        Assert.Contains("up to date", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_binary_migrates_a_new_empty_database_without_seeding_it()
    {
        await using var database = await TestDatabase.CreateAsync(fixture.App.Database.Provider);

        var first = await AppProcess.RunAsync(database, "migrate");
        var second = await AppProcess.RunAsync(database, "migrate");


        await using var db = AppProcess.Open(database);
        var migrations = db.Database.GetMigrations().ToList();
        Assert.Contains("20261121000000_Initial", migrations);
        Assert.True(first.Exit == 0, first.Output);
        // Every migration of the app, the first of them the Initial one ("Applied 1 migration(s)" while it is the only one).
        Assert.Contains($"Applied {migrations.Count} migration(s): {string.Join(", ", migrations)}.", first.Stdout, StringComparison.Ordinal);
        Assert.True(second.Exit == 0, second.Output);
        Assert.Contains("The database is up to date.", second.Stdout, StringComparison.Ordinal);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(0, await db.Organizations.CountAsync());
        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Equal(0, await db.Teams.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task The_binary_creates_and_revokes_a_key_in_a_database_it_did_not_start()
    {
        var name = Unique("process");

        var created = await AppProcess.RunAsync(App.Database, "keys", "create", "--team", "Research", "--name", name);

        Assert.True(created.Exit == 0, created.Output);
        var key = Assert.Single(Lines(created.Stdout), KeySecret.LooksLikeKey);
        var row = await KeyByHashAsync(KeySecret.HashOf(key));
        Assert.Equal(name, row!.Name);

        var revoked = await AppProcess.RunAsync(App.Database, "keys", "revoke", row.Prefix);

        Assert.True(revoked.Exit == 0, revoked.Output);
        Assert.NotNull((await KeyByHashAsync(KeySecret.HashOf(key)))!.RevokedAt);
    }
}

public sealed class CommandLineTests_on_Sqlite(SqliteApp f) : CommandLineTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CommandLineTests_on_Postgres(PostgresApp f) : CommandLineTests<PostgresApp>(f), IClassFixture<PostgresApp>;

/// <summary>What does not need a database.</summary>
public sealed class CommandLineVerbTests
{
    [Theory]
    [InlineData("migrate")]
    [InlineData("keys")]
    [InlineData("keys", "create", "--team", "Platform")]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void Verbs_are_recognised(params string[] args)
    {
        Assert.True(CommandLine.IsVerb(args));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("--urls", "http://127.0.0.1:5000")]
    [InlineData("Migrate")]
    [InlineData()]
    public void Anything_else_is_left_to_the_host(params string[] args)
    {
        Assert.False(CommandLine.IsVerb(args));
    }

    [Fact]
    public async Task The_binary_prints_the_usage_for_help()
    {
        var (exit, stdout, output) = await AppProcess.RunAsync(null, "--help");

        Assert.True(exit == 0, output);
        Assert.Contains("Usage", stdout, StringComparison.Ordinal);
        Assert.Contains("ControlPlane migrate", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_binary_exits_2_on_an_unknown_verb_option()
    {
        var (exit, stdout, output) = await AppProcess.RunAsync(null, "keys", "create", "--bogus", "x");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout.Trim());
        Assert.Contains("Unknown option '--bogus'", output, StringComparison.Ordinal);
    }
}

/// <summary>Runs the real ControlPlane binary (built beside the tests) as its own process.</summary>
internal static class AppProcess
{
    /// <summary>The binary's start, output redirected; add arguments and environment before starting it.</summary>
    public static ProcessStartInfo StartInfo()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ControlPlane.dll"));
        // No environment is named, so the binary runs as Production: it needs its key-encryption certificate.
        foreach (var (name, value) in TestKeyEncryption.Settings()) start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        return start;
    }

    public static async Task<(int Exit, string Stdout, string Output)> RunAsync(TestDatabase? database, params string[] args)
    {
        var start = StartInfo();
        foreach (var arg in args) start.ArgumentList.Add(arg);
        if (database is not null)
        {
            start.Environment["Database__Provider"] = database.Provider.ToString();
            start.Environment["Database__ConnectionString"] = database.ConnectionString;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a hung process fails the test, not the run
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout;
        return (process.ExitCode, output, $"{output}\n{await stderr}");
    }

    public static ControlPlaneDb Open(TestDatabase database)
    {
        var options = new DbContextOptionsBuilder<ControlPlaneDb>();
        DataSetup.Configure(options, new DatabaseOptions { Provider = database.Provider, ConnectionString = database.ConnectionString }, Path.GetTempPath());
        return new ControlPlaneDb(options.Options);
    }
}
