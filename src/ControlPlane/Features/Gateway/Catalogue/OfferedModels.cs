using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>An offered model as the Models page lists it.</summary>
public sealed record OfferedModelRow(Guid Id, Guid ProviderId, string ProviderName, string UpstreamModel, DateTime FirstSeenAt, DateTime LastSeenAt);

/// <summary>What an admin fills in to accept an offered model: the alias callers will use and its price (never implied).</summary>
public sealed class OfferAcceptance
{
    public string Alias { get; set; } = "";
    public string Kind { get; set; } = ModelKinds.Chat;
    public int ContextWindow { get; set; } = 128_000;
    public decimal? InputPerMillion { get; set; }
    public decimal? CachedInputPerMillion { get; set; }
    public decimal? OutputPerMillion { get; set; }
}

/// <summary>What one sync found: per provider, the models newly offered, or why its list could not be read.</summary>
public sealed record ModelSyncResult(int Offered, IReadOnlyList<string> Failures);

/// <summary>
/// The model list sync: asks each enabled provider for its models (as "test connection" does) and stores the ones the
/// catalogue does not route to yet as <see cref="OfferedModelStatuses.Offered"/>: not routable and not priced. An
/// admin accepts one with a price (it becomes an alias with that provider as its target and a price in the book, in
/// one transaction, audited) or dismisses it (it is not offered again).
/// </summary>
public sealed class OfferedModels(
    IDbContextFactory<ControlPlaneDb> dbFactory, ProviderSecrets secrets, ProviderClients clients, GatewayCatalog catalog, AuditLog audit,
    TimeProvider clock, EventBus events, IOptions<GatewayOptions> options)
{
    public async Task<IReadOnlyList<OfferedModelRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var offered = await db.OfferedModels.AsNoTracking().Where(o => o.Status == OfferedModelStatuses.Offered).ToListAsync(ct);
        return [.. offered.Select(o => new OfferedModelRow(o.Id, o.ProviderId, providers.GetValueOrDefault(o.ProviderId, "?"), o.UpstreamModel, o.FirstSeenAt, o.LastSeenAt))
            .OrderBy(o => o.ProviderName, StringComparer.Ordinal).ThenBy(o => o.UpstreamModel, StringComparer.Ordinal)];
    }

    /// <summary>"Sync now" on the Models page: Owners and Admins (it sends each provider's key), audited.</summary>
    public async Task<Outcome<ModelSyncResult>> SyncNowAsync(Actor actor, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<ModelSyncResult>("Only an Owner or Admin can sync the providers' model lists.");
        var result = await SyncAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await audit.SaveAsync(db, actor.Name, "models.synced", "models:offered",
            $"{result.Offered} new model(s) offered" + (result.Failures.Count > 0 ? $"; not read: {string.Join("; ", result.Failures)}" : ""), ct);
        return result;
    }

    /// <summary>The sync itself (the daily job and "sync now"). Idempotent: a model already offered, dismissed or routed is not offered again.</summary>
    public async Task<ModelSyncResult> SyncAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var providers = await db.Providers.AsNoTracking().Where(p => p.Enabled).OrderBy(p => p.Name).ToListAsync(ct);
        var routed = (await db.ModelTargets.AsNoTracking().Select(t => new { t.ProviderId, t.UpstreamModel }).ToListAsync(ct))
            .Select(t => (t.ProviderId, t.UpstreamModel)).ToHashSet();
        var known = await db.OfferedModels.ToListAsync(ct);
        var failures = new List<string>();
        var offered = 0;
        // Every list asked at once, each waiting at most 10 s: a provider that does not answer holds up nobody.
        var lists = await Task.WhenAll(providers.Select(p => ProviderService.ProbeAsync(clients, GatewayCatalog.ToEndpoint(p, secrets),
            Math.Clamp(p.FirstByteTimeoutSeconds, 2, 10), options.Value.MaxProviderResponseBytes, ct)));
        for (var i = 0; i < providers.Count; i++)
        {
            var (provider, listed) = (providers[i], lists[i]);
            if (!listed.Reachable)
            {
                failures.Add($"{provider.Name}: {listed.Message}");
                continue;
            }
            foreach (var model in listed.Models.Where(m => m.Length <= 200).Distinct(StringComparer.Ordinal))
            {
                if (routed.Contains((provider.Id, model))) continue;
                if (known.FirstOrDefault(o => o.ProviderId == provider.Id && o.UpstreamModel == model) is { } seen)
                {
                    seen.LastSeenAt = now;
                    continue;
                }
                var row = new OfferedModel { Id = Guid.CreateVersion7(), ProviderId = provider.Id, UpstreamModel = model, Status = OfferedModelStatuses.Offered, FirstSeenAt = now, LastSeenAt = now };
                db.OfferedModels.Add(row);
                known.Add(row);
                offered++;
            }
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another sync offered the same models a moment ago (the unique index): what it stored is what this one found.
            return new ModelSyncResult(0, failures);
        }
        return new ModelSyncResult(offered, failures);
    }

    /// <summary>Accepts an offered model: a new alias served by that provider model, with the price the admin entered.</summary>
    public async Task<Outcome<CatalogModel>> AcceptAsync(Actor actor, Guid offeredId, OfferAcceptance form, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<CatalogModel>("Only an Owner or Admin can accept an offered model.");
        if (CatalogueService.AliasProblem(form.Alias) is { } aliasProblem) return Outcome.Fail<CatalogModel>(aliasProblem);
        if (form.Kind is not (ModelKinds.Chat or ModelKinds.Embedding)) return Outcome.Fail<CatalogModel>("The kind is chat or embedding.");
        if (form.ContextWindow is < 0 or > 10_000_000) return Outcome.Fail<CatalogModel>("The context window is between 0 and 10,000,000 tokens.");
        if (form.InputPerMillion is not { } input || form.OutputPerMillion is not { } output)
            return Outcome.Fail<CatalogModel>("Enter the input and output prices: an offered model is never priced by default.");
        var price = new PriceForm { InputPerMillion = input, CachedInputPerMillion = form.CachedInputPerMillion, OutputPerMillion = output };
        if (price.PriceProblem() is { } problem) return Outcome.Fail<CatalogModel>(problem);
        if (input == 0 && output == 0) return Outcome.Fail<CatalogModel>("A price of zero for input and output would make calls free; enter the provider's real price.");

        var alias = form.Alias.Trim();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var offer = await db.OfferedModels.FirstOrDefaultAsync(o => o.Id == offeredId, ct);
        if (offer is not { Status: OfferedModelStatuses.Offered }) return Outcome.Fail<CatalogModel>("That model is no longer offered (accepted or dismissed meanwhile).");
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == offer.ProviderId, ct);
        if (provider is null) return Outcome.Fail<CatalogModel>("Its provider no longer exists.");
        if (await db.CatalogModels.AnyAsync(m => m.Alias == alias, ct)) return Outcome.Fail<CatalogModel>($"The alias '{alias}' is taken.");

        var model = new CatalogModel { Id = Guid.NewGuid(), Alias = alias, Kind = form.Kind, ContextWindow = form.ContextWindow, SupportsTools = form.Kind == ModelKinds.Chat, CreatedAt = now };
        db.CatalogModels.Add(model);
        db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = provider.Id, UpstreamModel = offer.UpstreamModel, Priority = 0 });
        var stored = new Price
        {
            Id = Guid.NewGuid(), ProviderId = provider.Id, UpstreamModel = offer.UpstreamModel, EffectiveFrom = now, InputPerMillion = input, OutputPerMillion = output,
            CachedInputPerMillion = PriceRules.CachedInputOrDefault(input, form.CachedInputPerMillion),
            CacheWriteInputPerMillion = PriceRules.CacheWriteOrDefault(input, null), CreatedAt = now, CreatedBy = actor.Name,
        };
        db.Prices.Add(stored);
        offer.Status = OfferedModelStatuses.Accepted;
        offer.DecidedAt = now;
        offer.DecidedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "model.offer_accepted", $"model:{alias}",
            $"{provider.Name}/{offer.UpstreamModel} as {form.Kind} alias '{alias}', priced in {stored.InputPerMillion}, cached {stored.CachedInputPerMillion}, out {stored.OutputPerMillion} USD/M", ct);
        await catalog.ReloadAsync(ct);
        events.Publish(new CatalogueChanged());
        return model;
    }

    public async Task<Outcome<bool>> DismissAsync(Actor actor, Guid offeredId, CancellationToken ct = default)
    {
        if (!actor.CanManageAllTeams) return Outcome.Fail<bool>("Only an Owner or Admin can dismiss an offered model.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var offer = await db.OfferedModels.FirstOrDefaultAsync(o => o.Id == offeredId, ct);
        if (offer is not { Status: OfferedModelStatuses.Offered }) return Outcome.Fail<bool>("That model is no longer offered.");
        var provider = await db.Providers.AsNoTracking().Where(p => p.Id == offer.ProviderId).Select(p => p.Name).FirstOrDefaultAsync(ct) ?? "?";
        offer.Status = OfferedModelStatuses.Dismissed;
        offer.DecidedAt = clock.GetUtcNow().UtcDateTime;
        offer.DecidedBy = actor.Name;
        await audit.SaveAsync(db, actor.Name, "model.offer_dismissed", $"model:{provider}/{offer.UpstreamModel}", "not offered again", ct);
        return true;
    }
}

/// <summary>Daily: the providers' model lists, new ones offered on the Models page (never routed or priced by this).</summary>
public sealed class ModelListSync(OfferedModels offered) : IScheduledJob
{
    public const string JobId = "models.list-sync";

    public Task RunAsync(CancellationToken cancellationToken) => offered.SyncAsync(cancellationToken);
}
