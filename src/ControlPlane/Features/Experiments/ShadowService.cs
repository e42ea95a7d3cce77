using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>A shadow test as an admin edits it.</summary>
public sealed class ShadowForm
{
    public string Name { get; set; } = "";
    public string Model { get; set; } = "";
    public Guid? TeamId { get; set; }
    public Guid? ProjectId { get; set; }
    public string? Tag { get; set; }
    public string ShadowAlias { get; set; } = "";
    public decimal SamplePercent { get; set; } = 10;
    public int MaxConcurrent { get; set; } = 4;
    public Guid? BillingKeyId { get; set; }
    public bool Enabled { get; set; } = true;

    public string? Problem(GatewayCatalog.Snapshot catalogue)
    {
        if (Name.Trim().Length is 0 or > 100) return "A name has 1 to 100 characters.";
        if (!catalogue.Models.TryGetValue(Model.Trim(), out var asked) || asked.Kind != ModelKinds.Chat) return $"'{Model.Trim()}' is not a chat model alias in the catalogue.";
        if (!catalogue.Models.TryGetValue(ShadowAlias.Trim(), out var shadow) || shadow.Kind != ModelKinds.Chat) return $"The shadow '{ShadowAlias.Trim()}' is not a chat model alias in the catalogue.";
        if (ShadowAlias.Trim() == Model.Trim()) return "The shadow is another alias than the one it shadows.";
        if (Tag is { } tag && (tag.Trim().Length > 100 || tag.Contains(','))) return "A tag has at most 100 characters and no comma.";
        if (SamplePercent is < 0 or > 100) return "The sample is 0 to 100 % of matching calls.";
        if (MaxConcurrent is < 1 or > 1000) return "At most 1 to 1,000 shadow calls in flight per node.";
        return BillingKeyId is null ? "Choose the key whose wallets pay for the shadow calls." : null;
    }
}

/// <summary>A shadow test with what it found: "shadow matched 94 % at 21 % of the cost".</summary>
public sealed record ShadowReport(ShadowTest Test, string? BillingKeyName, long Samples, long Failed, double? MatchedShare, double? CostShare,
    double? PrimaryLatencyMs, double? ShadowLatencyMs, long SentHere, long DroppedHere)
{
    public string Summary => Samples == 0 ? "no shadowed calls yet"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"shadow matched {MatchedShare:P0} at {(CostShare is { } c ? c.ToString("P0", System.Globalization.CultureInfo.InvariantCulture) : "an unknown share")} of the cost");
}

/// <summary>Shadow tests: Owner and Admin change them (audited); Auditors and team leads read the reports.</summary>
public sealed class ShadowService(IDbContextFactory<ControlPlaneDb> dbFactory, GatewayCatalog catalog, ExperimentBook book, ShadowRunner runner, AuditLog audit, TimeProvider clock, EventBus events)
{
    public async Task<IReadOnlyList<ShadowReport>> ReportsAsync(Actor actor, CancellationToken ct = default)
    {
        if (!ExperimentService.MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tests = await db.ShadowTests.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var keyIds = tests.Select(t => t.BillingKeyId).ToHashSet();
        var keys = await db.ApiKeys.AsNoTracking().Where(k => keyIds.Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => k.Name, ct);
        var reports = new List<ShadowReport>(tests.Count);
        foreach (var test in tests)
        {
            var results = await db.ShadowResults.AsNoTracking().Where(r => r.ShadowTestId == test.Id)
                .Select(r => new { r.Matched, r.ShadowStatus, r.PrimaryCost, r.ShadowCost, r.PrimaryLatencyMs, r.ShadowLatencyMs }).ToListAsync(ct);
            var answered = results.Where(r => r.ShadowStatus == 200).ToList();
            var primaryCost = answered.Sum(r => r.PrimaryCost);
            var counters = runner.CountersOf(test.Id);
            reports.Add(new ShadowReport(test, keys.GetValueOrDefault(test.BillingKeyId), answered.Count, results.Count - answered.Count,
                answered.Count == 0 ? null : (double)answered.Count(r => r.Matched) / answered.Count,
                primaryCost == 0 ? null : (double)(answered.Sum(r => r.ShadowCost) / primaryCost),
                answered.Count == 0 ? null : answered.Average(r => r.PrimaryLatencyMs), answered.Count == 0 ? null : answered.Average(r => r.ShadowLatencyMs),
                counters.Sent, counters.Dropped));
        }
        return reports;
    }

    public async Task<Outcome<ShadowTest>> SaveAsync(Actor actor, Guid? id, ShadowForm form, CancellationToken ct = default)
    {
        if (!ExperimentService.MayWrite(actor)) return Outcome.Fail<ShadowTest>("Only an Owner or Admin can change shadow tests.");
        if (form.Problem(catalog.Current) is { } problem) return Outcome.Fail<ShadowTest>(problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == form.BillingKeyId, ct);
        if (key is null || key.RevokedAt is not null) return Outcome.Fail<ShadowTest>("The paying key does not exist or is revoked.");
        if (form.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct)) return Outcome.Fail<ShadowTest>("That team no longer exists.");
        if (form.ProjectId is { } project && !await db.Projects.AnyAsync(p => p.Id == project, ct)) return Outcome.Fail<ShadowTest>("That project no longer exists.");
        var test = id is { } existing ? await db.ShadowTests.FirstOrDefaultAsync(s => s.Id == existing, ct) : null;
        if (id is not null && test is null) return Outcome.Fail<ShadowTest>("That shadow test no longer exists.");
        if (test is null)
        {
            test = new ShadowTest { Id = Guid.NewGuid(), Name = "", Model = "", ShadowAlias = "", CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.ShadowTests.Add(test);
        }
        test.Name = form.Name.Trim();
        test.Model = form.Model.Trim();
        test.TeamId = form.TeamId;
        test.ProjectId = form.ProjectId;
        test.Tag = string.IsNullOrWhiteSpace(form.Tag) ? null : form.Tag.Trim();
        test.ShadowAlias = form.ShadowAlias.Trim();
        test.SamplePercent = form.SamplePercent;
        test.MaxConcurrent = form.MaxConcurrent;
        test.BillingKeyId = key.Id;
        test.Enabled = form.Enabled;
        await SaveAndPublishAsync(db, actor, id is null ? "shadow.created" : "shadow.updated", test,
            $"'{test.Model}' → '{test.ShadowAlias}', {test.SamplePercent} % sampled, cap {test.MaxConcurrent}, paid by key {key.Prefix}{(test.Enabled ? "" : ", disabled")}", ct);
        return test;
    }

    public async Task<Outcome<ShadowTest>> SetEnabledAsync(Actor actor, Guid id, bool enabled, CancellationToken ct = default)
    {
        if (!ExperimentService.MayWrite(actor)) return Outcome.Fail<ShadowTest>("Only an Owner or Admin can change shadow tests.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var test = await db.ShadowTests.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (test is null) return Outcome.Fail<ShadowTest>("That shadow test no longer exists.");
        test.Enabled = enabled;
        await SaveAndPublishAsync(db, actor, enabled ? "shadow.enabled" : "shadow.disabled", test, enabled ? "enabled" : "disabled", ct);
        return test;
    }

    private async Task SaveAndPublishAsync(ControlPlaneDb db, Actor actor, string action, ShadowTest test, string details, CancellationToken ct)
    {
        await audit.SaveAsync(db, actor.Name, action, $"shadow:{test.Name}", details, ct);
        await book.ReloadAsync(ct);
        events.Publish(new ExperimentsChanged());
    }
}
