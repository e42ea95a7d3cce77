using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>An alias as an admin edits it: what it is, and which provider models serve it, in failover order.</summary>
public sealed class ModelForm
{
    public string Alias { get; set; } = "";
    public string Kind { get; set; } = ModelKinds.Chat;
    public int ContextWindow { get; set; } = 128_000;
    public bool SupportsTools { get; set; } = true;
    public bool SupportsVision { get; set; }
    public bool Enabled { get; set; } = true;
    public List<TargetForm> Targets { get; set; } = [];
}

public sealed class TargetForm
{
    public Guid? ProviderId { get; set; }
    public string UpstreamModel { get; set; } = "";
}

public sealed record TargetRow(Guid ProviderId, string ProviderName, string UpstreamModel, int Priority);

public sealed record ModelRow(Guid Id, string Alias, string Kind, int ContextWindow, bool SupportsTools, bool SupportsVision, bool Enabled, IReadOnlyList<TargetRow> Targets);

/// <summary>The model catalogue: aliases, capabilities and targets. Owner and Admin only; every change audited.</summary>
public sealed class CatalogueService(IDbContextFactory<ControlPlaneDb> dbFactory, GatewayCatalog catalog, AuditLog audit, TimeProvider clock, EventBus events)
{
    public async Task<IReadOnlyList<ModelRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var targets = (await db.ModelTargets.AsNoTracking().ToListAsync(ct)).ToLookup(t => t.ModelId);
        var models = await db.CatalogModels.AsNoTracking().OrderBy(m => m.Alias).ToListAsync(ct);
        return [.. models.Select(m => new ModelRow(m.Id, m.Alias, m.Kind, m.ContextWindow, m.SupportsTools, m.SupportsVision, m.Enabled,
            [.. targets[m.Id].OrderBy(t => t.Priority).Select(t => new TargetRow(t.ProviderId, providers.GetValueOrDefault(t.ProviderId, "?"), t.UpstreamModel, t.Priority))]))];
    }

    public async Task<Outcome<CatalogModel>> SaveAsync(Actor actor, Guid? id, ModelForm form, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<CatalogModel>("Only an Owner or Admin can change the model catalogue.");
        if (AliasProblem(form.Alias) is { } aliasProblem) return Outcome.Fail<CatalogModel>(aliasProblem);
        var alias = form.Alias.Trim();
        if (form.Kind is not (ModelKinds.Chat or ModelKinds.Embedding)) return Outcome.Fail<CatalogModel>("The kind is chat or embedding.");
        if (form.ContextWindow is < 0 or > 10_000_000) return Outcome.Fail<CatalogModel>("The context window is between 0 and 10,000,000 tokens.");
        var targets = form.Targets.Where(t => t.ProviderId is not null || !string.IsNullOrWhiteSpace(t.UpstreamModel)).ToList();
        if (targets.Count == 0) return Outcome.Fail<CatalogModel>("Name at least one provider model that serves this alias.");
        if (targets.Any(t => t.ProviderId is null || string.IsNullOrWhiteSpace(t.UpstreamModel) || t.UpstreamModel.Trim().Length > 200))
            return Outcome.Fail<CatalogModel>("Each target needs a provider and the provider's model name.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.CatalogModels.AnyAsync(m => m.Alias == alias && m.Id != id, ct)) return Outcome.Fail<CatalogModel>($"The alias '{alias}' is taken.");
        var providerIds = targets.Select(t => t.ProviderId!.Value).ToHashSet();
        var providers = await db.Providers.Where(p => providerIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        if (providers.Count != providerIds.Count) return Outcome.Fail<CatalogModel>("A chosen provider no longer exists.");

        var model = id is { } existing ? await db.CatalogModels.FirstOrDefaultAsync(m => m.Id == existing, ct) : null;
        if (id is not null && model is null) return Outcome.Fail<CatalogModel>("That model no longer exists.");
        if (model is null)
        {
            model = new CatalogModel { Id = Guid.NewGuid(), Alias = alias, Kind = form.Kind, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.CatalogModels.Add(model);
        }
        model.Alias = alias;
        model.Kind = form.Kind;
        model.ContextWindow = form.ContextWindow;
        model.SupportsTools = form.SupportsTools;
        model.SupportsVision = form.SupportsVision;
        model.Enabled = form.Enabled;
        db.ModelTargets.RemoveRange(await db.ModelTargets.Where(t => t.ModelId == model.Id).ToListAsync(ct));
        for (var i = 0; i < targets.Count; i++)
            db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = targets[i].ProviderId!.Value, UpstreamModel = targets[i].UpstreamModel.Trim(), Priority = i });

        var route = string.Join(" → ", targets.Select(t => $"{providers[t.ProviderId!.Value]}/{t.UpstreamModel.Trim()}"));
        await audit.SaveAsync(db, actor.Name, id is null ? "model.created" : "model.updated", $"model:{alias}", $"{form.Kind}{(form.Enabled ? "" : ", disabled")}: {route}", ct);
        await catalog.ReloadAsync(ct);
        events.Publish(new CatalogueChanged()); // the other nodes reload theirs
        return model;
    }

    /// <summary>The alias rule on its own, so the editor shows the service's words beside the field.</summary>
    public static string? AliasProblem(string? alias)
    {
        var trimmed = alias?.Trim() ?? "";
        return trimmed.Length is 0 or > 100 || trimmed.Any(char.IsWhiteSpace) ? "An alias has 1 to 100 characters and no spaces." : null;
    }
}
