using System.Globalization;
using System.Text.Json;
using ControlPlane.Infrastructure.Data;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>
/// The chain (or a filtered part of it) as CSV or JSON, streamed from the database in sequence order, with every field
/// its hash covers, its hash version, key id, previous hash and hash: an outsider re-verifies the JSON with
/// <c>ControlPlane audit verify</c> or their own verifier (docs/audit-verify.md).
/// </summary>
public sealed class AuditExport(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public const string Format = "controlplane-audit-export/1";

    public static readonly string[] Header =
        ["sequence", "at", "actor", "action", "target", "details", "before", "after", "hash_version", "key_id", "previous_hash", "hash"];

    /// <summary>The time exactly as the hash input writes it (microseconds, UTC).</summary>
    public static string TimeOf(DateTime at) => at.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private const int FlushEvery = 500;

    public async Task WriteJsonAsync(Stream stream, AuditFilter filter, CancellationToken ct = default)
    {
        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteBoolean("complete", filter.IsEmpty);
        json.WriteString("filter", filter.ToQueryString());
        json.WriteStartArray("entries");
        var written = 0;
        await foreach (var e in EntriesAsync(filter, ct))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", e.Sequence);
            json.WriteString("at", TimeOf(e.At));
            json.WriteString("actor", e.Actor);
            json.WriteString("action", e.Action);
            json.WriteString("target", e.Target);
            json.WriteString("details", e.Details);
            json.WriteString("before", e.Before);
            json.WriteString("after", e.After);
            json.WriteNumber("hashVersion", e.HashVersion);
            json.WriteString("keyId", e.KeyId);
            json.WriteString("previousHash", e.PreviousHash);
            json.WriteString("hash", e.Hash);
            json.WriteEndObject();
            if (++written % FlushEvery == 0) await json.FlushAsync(ct);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    /// <summary>For people and spreadsheets (text that would run as a formula is escaped); verify from the JSON.</summary>
    public async Task WriteCsvAsync(Stream stream, AuditFilter filter, CancellationToken ct = default)
    {
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Header, ct);
        var written = 0;
        await foreach (var e in EntriesAsync(filter, ct))
        {
            await csv.WriteRecordAsync(new[]
            {
                e.Sequence.ToString(CultureInfo.InvariantCulture), TimeOf(e.At), e.Actor, e.Action, e.Target, e.Details, e.Before ?? "", e.After ?? "",
                e.HashVersion.ToString(CultureInfo.InvariantCulture), e.KeyId ?? "", e.PreviousHash, e.Hash,
            }, ct);
            if (++written % FlushEvery == 0) await csv.FlushAsync(ct);
        }
        await csv.FlushAsync(ct);
    }

    private async IAsyncEnumerable<AuditEntry> EntriesAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var e in filter.Apply(db.AuditEntries.AsNoTracking()).OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(ct))
            yield return e;
    }
}
