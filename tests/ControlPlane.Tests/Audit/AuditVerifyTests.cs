using System.Text.Json.Nodes;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure.Cli;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Audit;

/// <summary>An outsider re-verifies an export offline with <c>audit verify</c> and the keys from <c>audit key</c>; tampering names its entry.</summary>
public sealed class AuditVerifyTests(SqliteApp fixture) : IClassFixture<SqliteApp>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(fixture.App.Services, args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The full JSON export as the Audit page serves it, the key file as <c>audit key</c> prints it.</summary>
    private static int _changes;

    /// <summary>The limit the latest wallet change set (a new one each time, so each change is a change).</summary>
    private decimal _limit;

    private async Task<(JsonObject Export, string KeyFile)> ExportAndKeysAsync()
    {
        _limit = 100m + Interlocked.Increment(ref _changes) / 100m;
        // A wallet change, so the chain holds an amount to tamper with.
        var fiona = await fixture.App.ActorAsync(DemoOrg.Fiona);
        var platform = await fixture.App.TeamIdAsync("Platform");
        var saved = await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<ControlPlane.Features.Wallets.WalletService>()
            .SaveAsync(fiona, ControlPlane.Features.Wallets.WalletOwners.Team, platform, new ControlPlane.Features.Wallets.WalletForm { Limit = _limit }));
        Assert.True(saved.Succeeded, saved.Error);
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync("aria.auditor@acme.test");
        var export = JsonNode.Parse(await client.GetStringAsync(AuditEndpoints.JsonPath))!.AsObject();
        var (exit, keys, err) = await RunAsync("audit", "key");
        Assert.True(exit == 0, err);
        var keyFile = Path.Combine(_dir, "keys.txt");
        await File.WriteAllTextAsync(keyFile, keys);
        return (export, keyFile);
    }

    private async Task<(int Exit, string Out, string Err)> VerifyAsync(JsonObject export, string keyFile)
    {
        var file = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, export.ToJsonString());
        return await RunAsync("audit", "verify", "--file", file, "--key-file", keyFile);
    }

    private static JsonArray Entries(JsonObject export) => export["entries"]!.AsArray();

    [Fact]
    public async Task An_untouched_export_verifies_and_names_its_head()
    {
        var (export, keyFile) = await ExportAndKeysAsync();

        var (exit, stdout, stderr) = await VerifyAsync(export, keyFile);

        Assert.True(exit == 0, stderr);
        var entries = Entries(export);
        Assert.Contains($"Verified {entries.Count} entries; head hash {entries[^1]!["hash"]}", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_amount_is_named()
    {
        var (export, keyFile) = await ExportAndKeysAsync();
        var wallet = Entries(export).Last(e => (string?)e!["action"] is { } a && a.StartsWith("wallet.", StringComparison.Ordinal))!;
        var amount = _limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"\"Limit\":{amount}", (string?)wallet["after"], StringComparison.Ordinal);
        wallet["after"] = ((string?)wallet["after"])!.Replace($"\"Limit\":{amount}", $"\"Limit\":9{amount}", StringComparison.Ordinal);

        var (exit, _, stderr) = await VerifyAsync(export, keyFile);

        Assert.Equal(1, exit);
        Assert.Contains($"Entry #{wallet["sequence"]}: does not match its hash", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_row_is_named()
    {
        var (export, keyFile) = await ExportAndKeysAsync();
        Entries(export).RemoveAt(5);

        var (exit, _, stderr) = await VerifyAsync(export, keyFile);

        Assert.Equal(1, exit);
        Assert.Contains("Entry #6: missing", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reordered_rows_are_named()
    {
        var (export, keyFile) = await ExportAndKeysAsync();
        var entries = Entries(export);
        var third = entries[3]!;
        entries.RemoveAt(3);
        entries.Insert(4, third);

        var (exit, _, stderr) = await VerifyAsync(export, keyFile);

        Assert.Equal(1, exit);
        Assert.Contains("Entry #4: missing (the export goes from #3 to #5)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_renumbered_to_hide_a_deletion_fail_their_hashes_and_a_wrong_key_fails_the_first_keyed_entry()
    {
        var (export, keyFile) = await ExportAndKeysAsync();
        var entries = Entries(export);
        entries.RemoveAt(5);
        for (var i = 5; i < entries.Count; i++) entries[i]!["sequence"] = i + 1;

        var renumbered = await VerifyAsync(export, keyFile);
        var wrongKey = Path.Combine(_dir, "wrong.txt");
        var id = File.ReadAllLines(keyFile).First(l => !l.StartsWith('#')).Split(' ')[0];
        await File.WriteAllTextAsync(wrongKey, $"{id} {Convert.ToHexStringLower(new byte[32])}\n");
        var (wrongExit, _, wrongErr) = await VerifyAsync((await ExportAndKeysAsync()).Export, wrongKey);

        Assert.Equal(1, renumbered.Exit);
        Assert.Contains("Entry #6: does not follow entry #5", renumbered.Err, StringComparison.Ordinal);
        Assert.Equal(1, wrongExit);
        Assert.Contains("Entry #1: does not match its hash", wrongErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_files_and_a_bad_key_file_are_usage_errors_with_a_message()
    {
        var missing = await RunAsync("audit", "verify", "--file", Path.Combine(_dir, "nope.json"), "--key-file", Path.Combine(_dir, "nope.txt"));
        var keyFile = Path.Combine(_dir, "bad.txt");
        await File.WriteAllTextAsync(keyFile, "k1 not-hex\n");
        var export = Path.Combine(_dir, "e.json");
        await File.WriteAllTextAsync(export, "{}");
        var badKey = await RunAsync("audit", "verify", "--file", export, "--key-file", keyFile);
        var usage = await RunAsync("audit", "verify", "--file", export);

        Assert.Equal((2, true), (missing.Exit, missing.Err.Contains("No such file", StringComparison.Ordinal)));
        Assert.Equal((2, true), (badKey.Exit, badKey.Err.Contains("not hexadecimal", StringComparison.Ordinal)));
        Assert.Equal((2, true), (usage.Exit, usage.Err.Contains("Usage: audit verify", StringComparison.Ordinal)));
    }
}
