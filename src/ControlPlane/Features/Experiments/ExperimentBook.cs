using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>A variant as the gateway applies it.</summary>
public sealed record LiveVariant(string Name, string TargetAlias, int Percent, decimal? Temperature, int? MaxTokens);

/// <summary>A running or concluded experiment as the gateway applies it; a concluded one sends everything to its winner.</summary>
public sealed record LiveExperiment(Guid Id, string Name, string Model, CallScope Scope, StickyBy StickyBy, IReadOnlyList<LiveVariant> Variants, LiveVariant? Winner)
{
    private readonly int[] _percents = [.. Variants.Select(v => v.Percent)];

    public LiveVariant Assign(string stickyId) =>
        Winner ?? Variants[StickyAssignment.Pick(_percents, StickyAssignment.Bucket(Id, stickyId))];
}

/// <summary>An enabled shadow test as the gateway applies it, with the key whose wallets pay (null: that key is gone).</summary>
public sealed record LiveShadow(Guid Id, string Name, string Model, CallScope Scope, string ShadowAlias, decimal SamplePercent, int MaxConcurrent, KeyEntry? BillingKey);

/// <summary>
/// The gateway's read-only view of experiments and shadow tests by requested alias, swapped whole on reload (like the
/// catalogue) so that a call sees one version without locks, and a call for an alias with neither costs one lookup.
/// </summary>
public sealed class ExperimentBook(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public sealed record Snapshot(IReadOnlyDictionary<string, LiveExperiment[]> Experiments, IReadOnlyDictionary<string, LiveShadow[]> Shadows)
    {
        public static Snapshot Empty { get; } = new(new Dictionary<string, LiveExperiment[]>(), new Dictionary<string, LiveShadow[]>());
        public bool IsEmpty => Experiments.Count == 0 && Shadows.Count == 0;
    }

    private volatile Snapshot _current = Snapshot.Empty;

    public Snapshot Current => _current;

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiments = await db.Experiments.AsNoTracking().Include(e => e.Variants)
            .Where(e => e.Status == ExperimentStatus.Running || e.Status == ExperimentStatus.Concluded).ToListAsync(ct);
        var shadows = await db.ShadowTests.AsNoTracking().Where(s => s.Enabled).ToListAsync(ct);
        var teams = experiments.Any(e => e.TeamId is not null) || shadows.Any(s => s.TeamId is not null)
            ? await db.Teams.AsNoTracking().ToListAsync(ct) : [];
        var keyIds = shadows.Select(s => s.BillingKeyId).ToHashSet();
        var keys = await db.ApiKeys.AsNoTracking().Where(k => keyIds.Contains(k.Id) && k.RevokedAt == null).ToListAsync(ct);
        var billing = keys.ToDictionary(k => k.Id, k => new KeyEntry(k.Id, k.TeamId, k.Prefix, k.Name, k.ExpiresAt, k.RevokedAt, ProjectId: k.ProjectId));

        CallScope Scope(Guid? team, Guid? project, string? tag) =>
            new(team is { } root ? TeamTree.WithDescendants(teams, [root]) : null, project, tag);

        var live = experiments.Select(e =>
        {
            var variants = e.Variants.OrderBy(v => v.Position).Select(v => new LiveVariant(v.Name, v.TargetAlias, v.Percent, v.Temperature, v.MaxTokens)).ToList();
            var winner = e.Status == ExperimentStatus.Concluded ? variants.FirstOrDefault(v => v.Name == e.Winner) : null;
            return new LiveExperiment(e.Id, e.Name, e.Model, Scope(e.TeamId, e.ProjectId, e.Tag), e.StickyBy, variants, winner);
        }).Where(e => e.Variants.Count > 0);
        var liveShadows = shadows.Select(s => new LiveShadow(s.Id, s.Name, s.Model, Scope(s.TeamId, s.ProjectId, s.Tag), s.ShadowAlias,
            s.SamplePercent, s.MaxConcurrent, billing.GetValueOrDefault(s.BillingKeyId)));
        _current = new Snapshot(
            live.GroupBy(e => e.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal),
            liveShadows.GroupBy(s => s.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal));
    }
}
