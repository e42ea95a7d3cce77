using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Live;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

public sealed class PriceForm
{
    public Guid? ProviderId { get; set; }
    public string UpstreamModel { get; set; } = "";
    public DateTime? EffectiveFrom { get; set; }
    public decimal InputPerMillion { get; set; }
    /// <summary>Empty: the input price (cached input is never free by omission).</summary>
    public decimal? CachedInputPerMillion { get; set; }
    /// <summary>Empty: 1.25 × the input price, Anthropic's documented rate for 5-minute cache writes.</summary>
    public decimal? CacheWriteInputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }

    /// <summary>Why the form's prices cannot be saved, naming the field, or null when they can.</summary>
    public string? PriceProblem()
    {
        (string Field, decimal? Value)[] prices =
            [("Input", InputPerMillion), ("Cached input", CachedInputPerMillion), ("Cache write", CacheWriteInputPerMillion), ("Output", OutputPerMillion)];
        foreach (var (field, value) in prices)
        {
            if (value is { } v && PriceRules.Problem(v) is { } problem) return $"{field}: {problem}";
        }
        return null;
    }
}

public sealed record PriceRow(Guid Id, Guid ProviderId, string ProviderName, string UpstreamModel, DateTime EffectiveFrom,
    decimal InputPerMillion, decimal CachedInputPerMillion, decimal OutputPerMillion, string CreatedBy, bool InForce, decimal CacheWritePerMillion);

/// <summary>
/// The price book: dated prices that are added, never edited, so every past call keeps the price it was made at.
/// Owner, Admin and FinanceAdmin may add prices; every addition is audited.
/// </summary>
public sealed class PriceBookService(IDbContextFactory<ControlPlaneDb> dbFactory, GatewayCatalog catalog, AuditLog audit, TimeProvider clock, EventBus events)
{
    public static bool MayEdit(Actor actor) => actor.CanManageAllTeams || actor.Role == People.Roles.FinanceAdmin;

    public async Task<IReadOnlyList<PriceRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var prices = await db.Prices.AsNoTracking().ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var inForce = prices.Where(p => p.EffectiveFrom <= now).GroupBy(p => (p.ProviderId, p.UpstreamModel))
            .Select(g => g.MaxBy(p => p.EffectiveFrom)!.Id).ToHashSet();
        return [.. prices.OrderBy(p => providers.GetValueOrDefault(p.ProviderId)).ThenBy(p => p.UpstreamModel).ThenByDescending(p => p.EffectiveFrom)
            .Select(p => new PriceRow(p.Id, p.ProviderId, providers.GetValueOrDefault(p.ProviderId, "?"), p.UpstreamModel, p.EffectiveFrom,
                p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.CreatedBy, inForce.Contains(p.Id),
                PriceRules.CacheWriteOrDefault(p.InputPerMillion, p.CacheWriteInputPerMillion)))];
    }

    public async Task<Outcome<Price>> AddAsync(Actor actor, PriceForm form, CancellationToken ct = default)
    {
        if (!MayEdit(actor)) return Outcome.Fail<Price>("Only an Owner, Admin or FinanceAdmin can change prices.");
        var now = clock.GetUtcNow().UtcDateTime;
        var from = form.EffectiveFrom?.ToUniversalTime() ?? now;
        if (form.ProviderId is null || string.IsNullOrWhiteSpace(form.UpstreamModel)) return Outcome.Fail<Price>("Choose the provider and name its model.");
        if (from < now.AddMinutes(-1)) return Outcome.Fail<Price>("A new price takes effect now or later; past calls keep the price they were made at.");
        if (form.PriceProblem() is { } problem) return Outcome.Fail<Price>(problem);
        if (form.InputPerMillion == 0 && form.OutputPerMillion == 0)
            return Outcome.Fail<Price>("A price of zero for input and output would make calls free; enter the provider's real price.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == form.ProviderId, ct);
        if (provider is null) return Outcome.Fail<Price>("That provider no longer exists.");
        var model = form.UpstreamModel.Trim();
        if (await db.Prices.AnyAsync(p => p.ProviderId == provider.Id && p.UpstreamModel == model && p.EffectiveFrom == from, ct))
            return Outcome.Fail<Price>("A price for this model already starts at that moment.");
        var price = new Price
        {
            Id = Guid.NewGuid(), ProviderId = provider.Id, UpstreamModel = model, EffectiveFrom = from,
            InputPerMillion = form.InputPerMillion, OutputPerMillion = form.OutputPerMillion,
            // Defaults are resolved now and stored, so the row says exactly what calls will be charged.
            CachedInputPerMillion = PriceRules.CachedInputOrDefault(form.InputPerMillion, form.CachedInputPerMillion),
            CacheWriteInputPerMillion = PriceRules.CacheWriteOrDefault(form.InputPerMillion, form.CacheWriteInputPerMillion),
            CreatedAt = now, CreatedBy = actor.Name,
        };
        db.Prices.Add(price);
        await audit.SaveAsync(db, actor.Name, "price.added", $"price:{provider.Name}/{model}",
            $"from {from:yyyy-MM-dd HH:mm}Z: in {price.InputPerMillion}, cached {price.CachedInputPerMillion}, cache write {price.CacheWriteInputPerMillion}, out {price.OutputPerMillion} USD/M", ct);
        await catalog.ReloadAsync(ct);
        events.Publish(new CatalogueChanged()); // the other nodes reload theirs
        return price;
    }
}
