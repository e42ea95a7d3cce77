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

    // The capability registry: blank context, tools or vision take the alias's; blank self-hosted is derived.
    public int? ContextWindow { get; set; }
    public bool? SupportsTools { get; set; }
    public bool? SupportsVision { get; set; }
    public bool JsonMode { get; set; } = true;
    public bool StreamingUsage { get; set; } = true;
    public string? Region { get; set; }
    public bool? SelfHosted { get; set; }

    /// <summary>What is wrong with the capabilities, in words for the editor (null: nothing).</summary>
    public string? CapabilityProblem() =>
        ContextWindow is < 0 or > 10_000_000 ? "A target's context window is between 0 and 10,000,000 tokens (blank: the alias's)."
        : Region is { } r && !string.IsNullOrWhiteSpace(r) && (r.Trim().Length > 32 || !r.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            ? "A region is up to 32 letters, digits, '-' or '_' (such as eu, us, eu-west)."
        : null;

    /// <summary>The stated capabilities for the audit trail, e.g. "eu, self-hosted, 32000 ctx" (empty when all inherited).</summary>
    public string CapabilitySummary() => string.Join(", ", new[]
    {
        string.IsNullOrWhiteSpace(Region) ? null : Region.Trim().ToLowerInvariant(),
        SelfHosted is { } local ? (local ? "self-hosted" : "hosted") : null,
        ContextWindow is { } ctx ? $"{ctx} ctx" : null,
        SupportsTools is { } tools ? (tools ? "tools" : "no tools") : null,
        SupportsVision is { } vision ? (vision ? "vision" : "no vision") : null,
        JsonMode ? null : "no json mode", StreamingUsage ? null : "no stream usage",
    }.Where(x => x is not null));
}

public sealed record TargetRow(Guid ProviderId, string ProviderName, string UpstreamModel, int Priority)
{
    public int? ContextWindow { get; init; }
    public bool? SupportsTools { get; init; }
    public bool? SupportsVision { get; init; }
    public bool JsonMode { get; init; } = true;
    public bool StreamingUsage { get; init; } = true;
    public string? Region { get; init; }
    public bool? SelfHosted { get; init; }
}

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
            [.. targets[m.Id].OrderBy(t => t.Priority).Select(t => new TargetRow(t.ProviderId, providers.GetValueOrDefault(t.ProviderId, "?"), t.UpstreamModel, t.Priority)
            {
                ContextWindow = t.ContextWindow, SupportsTools = t.SupportsTools, SupportsVision = t.SupportsVision, JsonMode = t.JsonMode,
                StreamingUsage = t.StreamingUsage, Region = t.Region, SelfHosted = t.SelfHosted,
            })]))];
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
        if (targets.Select(t => t.CapabilityProblem()).FirstOrDefault(p => p is not null) is { } capabilityProblem) return Outcome.Fail<CatalogModel>(capabilityProblem);

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
        {
            var t = targets[i];
            db.ModelTargets.Add(new ModelTarget
            {
                Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = t.ProviderId!.Value, UpstreamModel = t.UpstreamModel.Trim(), Priority = i,
                ContextWindow = t.ContextWindow, SupportsTools = t.SupportsTools, SupportsVision = t.SupportsVision, JsonMode = t.JsonMode, StreamingUsage = t.StreamingUsage,
                Region = string.IsNullOrWhiteSpace(t.Region) ? null : t.Region.Trim().ToLowerInvariant(), SelfHosted = t.SelfHosted,
            });
        }

        var route = string.Join(" → ", targets.Select(t => $"{providers[t.ProviderId!.Value]}/{t.UpstreamModel.Trim()}"
            + (t.CapabilitySummary() is { Length: > 0 } caps ? $" [{caps}]" : "")));
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
