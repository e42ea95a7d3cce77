using System.Globalization;
using System.Text.Json;

namespace ControlPlane.Features.Audit;

/// <summary>
/// Re-verifies a JSON export (<see cref="AuditExport"/>) offline with the chain keys (<c>audit key</c>), as an outsider
/// would: every entry's hash under its key and hash version; each entry's previous hash against the entry before it
/// when both are in the export; and, for a complete export, that it starts at #1 from the genesis hash with no entry
/// missing or out of order. The first problem names its entry.
/// </summary>
public static class ExportVerifier
{
    public sealed record Verdict(long Entries, string? Head, long? FirstBadSequence, string? Problem)
    {
        public bool IsIntact => Problem is null;
    }

    /// <summary>Key file: one key a line, "&lt;key id&gt; &lt;hex key&gt;"; blank lines and lines starting with # are ignored.</summary>
    public static Dictionary<string, byte[]> ParseKeys(IEnumerable<string> lines)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new FormatException($"A key line is '<key id> <hex key>'; got '{line}'.");
            try
            {
                keys[parts[0]] = Convert.FromHexString(parts[1]);
            }
            catch (FormatException)
            {
                throw new FormatException($"The key for '{parts[0]}' is not hexadecimal.");
            }
        }
        return keys;
    }

    public static async Task<Verdict> VerifyAsync(Stream export, IReadOnlyDictionary<string, byte[]> keys, CancellationToken ct = default)
    {
        using var document = await JsonDocument.ParseAsync(export, cancellationToken: ct);
        var root = document.RootElement;
        if (!root.TryGetProperty("format", out var format) || format.GetString() != AuditExport.Format)
            return new Verdict(0, null, null, $"Not an audit export (format '{AuditExport.Format}' expected).");
        var complete = root.GetProperty("complete").GetBoolean();
        long count = 0;
        long? previousSequence = null;
        string? previousHash = null;
        var keyed = false;
        foreach (var row in root.GetProperty("entries").EnumerateArray())
        {
            var e = EntryOf(row);
            Verdict Broken(string problem) => new(count, previousHash, e.Sequence, $"Entry #{e.Sequence}: {problem}");
            if (previousSequence is { } p && e.Sequence <= p)
                return Broken($"out of order (it comes after entry #{p}).");
            if (complete && e.Sequence != (previousSequence ?? 0) + 1)
                return new Verdict(count, previousHash, (previousSequence ?? 0) + 1,
                    $"Entry #{(previousSequence ?? 0) + 1}: missing (the export goes from #{previousSequence ?? 0} to #{e.Sequence}).");
            if (complete && previousSequence is null && e.PreviousHash != AuditLog.GenesisHash)
                return Broken("the chain does not start from the genesis hash.");
            if (previousSequence == e.Sequence - 1 && e.PreviousHash != previousHash)
                return Broken($"does not follow entry #{previousSequence} (its previous hash differs: an entry was removed, replaced or reordered).");
            byte[]? key = null;
            if (e.KeyId is not null && !keys.TryGetValue(e.KeyId, out key))
                return Broken($"made with key '{e.KeyId}', which is not in the key file.");
            if (e.KeyId is null && keyed)
                return Broken("unkeyed after keyed entries (written without the chain key).");
            if (AuditLog.HashOf(key, e) != e.Hash)
                return Broken("does not match its hash (a field was changed after it was written).");
            keyed |= key is not null;
            previousSequence = e.Sequence;
            previousHash = e.Hash;
            count++;
        }
        return new Verdict(count, previousHash, null, null);
    }

    private static AuditEntry EntryOf(JsonElement row) => new()
    {
        Sequence = row.GetProperty("sequence").GetInt64(),
        At = DateTime.ParseExact(row.GetProperty("at").GetString()!, "yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
        Actor = row.GetProperty("actor").GetString()!,
        Action = row.GetProperty("action").GetString()!,
        Target = row.GetProperty("target").GetString()!,
        Details = row.GetProperty("details").GetString()!,
        Before = row.GetProperty("before").GetString(),
        After = row.GetProperty("after").GetString(),
        HashVersion = row.GetProperty("hashVersion").GetInt32(),
        KeyId = row.GetProperty("keyId").GetString(),
        PreviousHash = row.GetProperty("previousHash").GetString()!,
        Hash = row.GetProperty("hash").GetString()!,
    };
}
