namespace ControlPlane.Features.Audit;

/// <summary>The <c>audit</c> verbs of the command line: hand an outsider the keys, and verify an export offline.</summary>
public static class AuditCommands
{
    /// <summary>
    /// <c>audit key</c>: every chain key (current and rotated-out) as key-file lines. They are derived from the
    /// key-encryption certificate (AuditChainKeys): whoever holds them can verify the chain, and could also forge it,
    /// so give them to an auditor as you would the certificate itself.
    /// </summary>
    public static async Task<int> PrintKeysAsync(IServiceProvider services, TextWriter stdout)
    {
        var keys = services.GetRequiredService<AuditChainKeys>();
        await stdout.WriteLineAsync("# ControlPlane audit chain keys (HMAC-SHA256), one '<key id> <hex key>' a line; see docs/audit-verify.md.");
        await stdout.WriteLineAsync("# Secret: whoever holds these can also forge entries. Save as a key file for 'audit verify --key-file'.");
        foreach (var (id, key) in keys.All.OrderBy(k => k.Key != keys.CurrentId).ThenBy(k => k.Key, StringComparer.Ordinal))
            await stdout.WriteLineAsync($"{id} {Convert.ToHexStringLower(key)}");
        return 0;
    }

    /// <summary><c>audit verify --file export.json --key-file K</c>: exit 0 when the export holds, 1 naming the first bad entry.</summary>
    public static async Task<int> VerifyAsync(string[] options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options is not ["--file", var file, "--key-file", var keyFile] && options is not ["--key-file", var keyFile2, "--file", var file2])
        {
            await stderr.WriteLineAsync("Usage: audit verify --file <export.json> --key-file <keys>");
            return 2;
        }
        (file, keyFile) = options[0] == "--file" ? (options[1], options[3]) : (options[3], options[1]);
        foreach (var path in new[] { file, keyFile })
        {
            if (!File.Exists(path))
            {
                await stderr.WriteLineAsync($"No such file: {path}");
                return 2;
            }
        }
        Dictionary<string, byte[]> keys;
        try
        {
            keys = ExportVerifier.ParseKeys(await File.ReadAllLinesAsync(keyFile, ct));
        }
        catch (FormatException e)
        {
            await stderr.WriteLineAsync($"{keyFile}: {e.Message}");
            return 2;
        }
        ExportVerifier.Verdict verdict;
        try
        {
            await using var export = File.OpenRead(file);
            verdict = await ExportVerifier.VerifyAsync(export, keys, ct);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            await stderr.WriteLineAsync($"{file} is not a readable audit export: {e.Message}");
            return 1;
        }
        if (!verdict.IsIntact)
        {
            await stderr.WriteLineAsync($"NOT VERIFIED after {verdict.Entries} good entries. {verdict.Problem}");
            return 1;
        }
        await stdout.WriteLineAsync($"Verified {verdict.Entries} entries; head hash {verdict.Head ?? "(none)"}. Compare it with your latest anchor.");
        return 0;
    }
}
