using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Prompts;

/// <summary>A version as the gateway renders it.</summary>
public sealed record ServedVersion(Guid Id, int Number, IReadOnlyList<PromptMessage> Messages, string? Model, string? Parameters);

/// <summary>A prompt as the gateway resolves it: its versions by number and its labels by name.</summary>
public sealed record ServedPrompt(Guid Id, string Name, Guid OwnerTeamId, bool Shared,
    IReadOnlyDictionary<int, ServedVersion> Versions, IReadOnlyDictionary<string, ServedVersion> Labels);

/// <summary>
/// The gateway's in-memory view of the registry, swapped whole on every change (this node's at once, other nodes' through
/// <see cref="PromptsChanged"/> on the cluster bus), so a call resolves its label as it stands at the moment of the call
/// without touching the database.
/// </summary>
public sealed class PromptCatalog(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public sealed record Snapshot(IReadOnlyDictionary<string, ServedPrompt> Prompts, IReadOnlyDictionary<Guid, Guid?> TeamParents)
    {
        /// <summary>The key's team may use the prompt: it is shared, or the team is the owner team or below it.</summary>
        public bool Allows(ServedPrompt prompt, Guid keyTeamId)
        {
            if (prompt.Shared) return true;
            Guid? team = keyTeamId;
            for (var depth = 0; team is { } t && depth < 64; depth++)
            {
                if (t == prompt.OwnerTeamId) return true;
                team = TeamParents.TryGetValue(t, out var parent) ? parent : null;
            }
            return false;
        }
    }

    private readonly Lock _swap = new();
    private volatile Snapshot _current = new(new Dictionary<string, ServedPrompt>(StringComparer.Ordinal), new Dictionary<Guid, Guid?>());
    private long _started, _applied;

    public Snapshot Current => _current;

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        // Reloads may overlap: the one that started last wins, so an older read never replaces a newer one.
        var mine = Interlocked.Increment(ref _started);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var prompts = await db.Prompts.AsNoTracking().ToListAsync(ct);
        var versions = (await db.PromptVersions.AsNoTracking().ToListAsync(ct))
            .Select(v => (v.PromptId, Served: new ServedVersion(v.Id, v.Number, PromptTemplate.Parse(v.Messages), v.Model, v.Parameters)))
            .ToLookup(v => v.PromptId, v => v.Served);
        var labels = (await db.PromptLabels.AsNoTracking().ToListAsync(ct)).ToLookup(l => l.PromptId);
        var parents = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.ParentTeamId, ct);

        var served = new Dictionary<string, ServedPrompt>(StringComparer.Ordinal);
        foreach (var p in prompts)
        {
            var byNumber = versions[p.Id].ToDictionary(v => v.Number);
            var byId = byNumber.Values.ToDictionary(v => v.Id);
            var byLabel = labels[p.Id].Where(l => byId.ContainsKey(l.VersionId)).ToDictionary(l => l.Name, l => byId[l.VersionId], StringComparer.Ordinal);
            served[p.Name] = new ServedPrompt(p.Id, p.Name, p.OwnerTeamId, p.Shared, byNumber, byLabel);
        }
        lock (_swap)
        {
            if (mine < _applied) return;
            _applied = mine;
            _current = new Snapshot(served, parents);
        }
    }
}

/// <summary>A prompt, version or label changed on some node (wire name "prompts.changed"): every node reloads its catalog.</summary>
public sealed record PromptsChanged(Guid? PromptId);

/// <summary>Loads the catalog before the app takes calls; reloads it on every change and, as a safety net, on a timer.</summary>
internal sealed class PromptCatalogLoader(PromptCatalog catalog, EventBus events, ILogger<PromptCatalogLoader> logger) : SnapshotRefresher(logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(30);
    protected override string Snapshot => "the prompt catalog";

    protected override Task ReloadAsync(CancellationToken ct) => catalog.ReloadAsync(ct);

    protected override IEnumerable<IDisposable> SubscribeToChanges(CancellationToken stoppingToken) =>
    [
        events.Subscribe<PromptsChanged>(_ => ReloadSoon(stoppingToken)),
        // A new subteam's keys may use its parent's prompts from the moment it exists.
        events.Subscribe<TeamSettingsChanged>(_ => ReloadSoon(stoppingToken)),
    ];
}
