using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// Brings the providers named in configuration ("Gateway:Providers") into the catalogue at start: each becomes a
/// provider managed by configuration (shown, not edited, on the Providers page), with its aliases and prices. A
/// configured price that differs from the one in force becomes a new dated price; history is never rewritten.
/// </summary>
public sealed class ConfiguredProviders(IDbContextFactory<ControlPlaneDb> dbFactory, IOptions<GatewayOptions> options, ProviderSecrets secrets, TimeProvider clock)
{
    public async Task SyncAsync(CancellationToken ct = default)
    {
        if (options.Value.Providers.Count == 0) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (name, configured) in options.Value.Providers)
        {
            var provider = await db.Providers.FirstOrDefaultAsync(p => p.Name == name, ct);
            if (provider is null)
            {
                provider = new Provider { Id = Guid.NewGuid(), Name = name, Kind = configured.Kind, BaseUrl = configured.BaseUrl, CreatedAt = now };
                db.Providers.Add(provider);
            }
            provider.Kind = configured.Kind;
            provider.BaseUrl = configured.BaseUrl;
            provider.ApiVersion = configured.ApiVersion;
            provider.MaxRetries = configured.MaxRetries;
            provider.ConnectTimeoutSeconds = configured.ConnectTimeoutSeconds;
            provider.FirstByteTimeoutSeconds = configured.FirstByteTimeoutSeconds;
            provider.IdleTimeoutSeconds = configured.IdleTimeoutSeconds;
            provider.TotalTimeoutSeconds = configured.TotalTimeoutSeconds;
            provider.UnansweredAttemptsFree = configured.UnansweredAttemptsFree;
            provider.ManagedByConfiguration = true;
            provider.UpdatedAt = now;
            if (!string.IsNullOrEmpty(configured.ApiKey))
            {
                provider.EncryptedApiKey = secrets.Protect(configured.ApiKey);
                provider.ApiKeyHint = ProviderSecrets.Hint(configured.ApiKey);
            }
            await SyncModelsAsync(db, provider, configured, now, ct);
            await SyncPricesAsync(db, provider, configured, now, ct);
        }
        await db.SaveChangesAsync(ct);
    }

    private static async Task SyncModelsAsync(ControlPlaneDb db, Provider provider, ConfiguredProvider configured, DateTime now, CancellationToken ct)
    {
        foreach (var (alias, upstream) in configured.Models)
        {
            var model = await db.CatalogModels.FirstOrDefaultAsync(m => m.Alias == alias, ct)
                ?? db.CatalogModels.Local.FirstOrDefault(m => m.Alias == alias);
            if (model is null)
            {
                model = new CatalogModel { Id = Guid.NewGuid(), Alias = alias, Kind = ModelKinds.Chat, ContextWindow = 128_000, SupportsTools = true, CreatedAt = now };
                db.CatalogModels.Add(model);
            }
            var targets = await db.ModelTargets.Where(t => t.ModelId == model.Id).ToListAsync(ct);
            targets.AddRange(db.ModelTargets.Local.Where(t => t.ModelId == model.Id && !targets.Contains(t)));
            var target = targets.FirstOrDefault(t => t.ProviderId == provider.Id);
            if (target is null)
                db.ModelTargets.Add(new ModelTarget { Id = Guid.NewGuid(), ModelId = model.Id, ProviderId = provider.Id, UpstreamModel = upstream, Priority = targets.Count });
            else
                target.UpstreamModel = upstream;
        }
    }

    private static async Task SyncPricesAsync(ControlPlaneDb db, Provider provider, ConfiguredProvider configured, DateTime now, CancellationToken ct)
    {
        foreach (var (model, price) in configured.Prices)
        {
            var current = await db.Prices.Where(p => p.ProviderId == provider.Id && p.UpstreamModel == model && p.EffectiveFrom <= now)
                .OrderByDescending(p => p.EffectiveFrom).FirstOrDefaultAsync(ct);
            if (current is not null && current.InputPerMillion == price.Input && current.CachedInputPerMillion == price.CachedInput && current.OutputPerMillion == price.Output)
                continue;
            db.Prices.Add(new Price
            {
                Id = Guid.NewGuid(), ProviderId = provider.Id, UpstreamModel = model, EffectiveFrom = now,
                InputPerMillion = price.Input, CachedInputPerMillion = price.CachedInput, OutputPerMillion = price.Output,
                CreatedAt = now, CreatedBy = "configuration",
            });
        }
    }
}
