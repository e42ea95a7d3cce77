using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Audit;

/// <summary>The chain's head at one moment, kept where the database cannot reach it.</summary>
public sealed record AuditAnchor(long Sequence, string Hash, DateTimeOffset At);

/// <summary>Section <c>Audit</c>: where the chain's head is exported (every 5 minutes, by the audit.anchor job).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// A file that anchors are appended to (JSON lines). Put it on storage the database's administrators cannot
    /// write (another volume, a WORM bucket mount). Anchors also always go to the log.
    /// </summary>
    public string? AnchorFile { get; set; }
}

/// <summary>
/// Exports the audit chain's head (sequence and hash) to the log and the anchor file. Verification compares the chain
/// with every anchor, so a rewritten chain (even re-hashed with the key) or deleted newest entries are detected.
/// </summary>
public sealed partial class AuditAnchors(IDbContextFactory<ControlPlaneDb> dbFactory, IOptions<AuditOptions> options,
    IHostEnvironment environment, IOptions<DatabaseOptions> database, TimeProvider clock, ILogger<AuditAnchors> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private long _lastAnchored = -1;

    /// <summary>
    /// The anchor file: as configured, or in Development one per database under data/ (so test databases and the
    /// demo never read each other's anchors). Null: anchors go to the log only.
    /// </summary>
    public string? File { get; } = options.Value.AnchorFile is { Length: > 0 } file ? Path.GetFullPath(file, environment.ContentRootPath)
        : environment.IsDevelopment() ? Path.Combine(environment.ContentRootPath, "data", $"audit-anchors.{DatabaseTag(database.Value)}.jsonl")
        : null;

    /// <summary>
    /// Writes the current head as an anchor unless it was already anchored; returns it (null: empty chain). Two
    /// writers at once (the schedule and shutdown) at worst write the same anchor twice, which verification accepts.
    /// </summary>
    public async Task<AuditAnchor?> AnchorHeadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
        if (head is null) return null;
        var anchor = new AuditAnchor(head.Sequence, head.Hash, clock.GetUtcNow());
        if (Interlocked.Exchange(ref _lastAnchored, head.Sequence) == head.Sequence) return anchor;
        Anchored(log, anchor.Sequence, anchor.Hash);
        if (File is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(File)!);
            await System.IO.File.AppendAllTextAsync(File, JsonSerializer.Serialize(anchor, Json) + "\n", ct);
        }
        return anchor;
    }

    /// <summary>Every anchor in the file (none when there is no file yet). A line that does not parse is an error, not skipped.</summary>
    public async Task<IReadOnlyList<AuditAnchor>> ReadAsync(CancellationToken ct = default)
    {
        if (File is null || !System.IO.File.Exists(File)) return [];
        var anchors = new List<AuditAnchor>();
        foreach (var line in await System.IO.File.ReadAllLinesAsync(File, ct))
        {
            if (line.Length == 0) continue;
            anchors.Add(JsonSerializer.Deserialize<AuditAnchor>(line, Json) ?? throw new InvalidDataException($"Unreadable anchor in {File}: {line}"));
        }
        return anchors;
    }

    private static string DatabaseTag(DatabaseOptions database) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{database.Provider}|{database.ConnectionString}")))[..12];

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain anchor: entry {Sequence} has hash {Hash}")]
    private static partial void Anchored(ILogger logger, long sequence, string hash);
}

/// <summary>
/// Anchors the head once more when this node stops (the schedule itself is the <see cref="AuditAnchorJob"/>, once per
/// cluster): what this node wrote last is anchored even if the next scheduled run is far off.
/// </summary>
internal sealed partial class AuditShutdownAnchor(AuditAnchors anchors, ILogger<AuditShutdownAnchor> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await anchors.AnchorHeadAsync(cancellationToken);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or InvalidOperationException or System.Data.Common.DbException)
        {
            // Best effort: the scheduled anchors stand; a host torn down before its services stop has no database left.
            ShutdownAnchorFailed(log, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The audit chain's head could not be anchored at shutdown")]
    private static partial void ShutdownAnchorFailed(ILogger logger, Exception error);
}
