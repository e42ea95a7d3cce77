using System.Net;
using System.Text;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway;

/// <summary>
/// The model list sync against the fake upstream's model lists: new upstream models are offered, never routed or
/// priced; an admin accepts one only with a price, and then it is routable. On SQLite and PostgreSQL.
/// </summary>
public abstract class ModelListSyncTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    private static readonly Actor Admin = new(null, "test:model-sync", Roles.Admin);
    private static readonly Actor Member = new(null, "test:member", Roles.Member);

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private Task<T> WithOffersAsync<T>(Func<OfferedModels, Task<T>> use) => gateway.App.WithScopeAsync(sp => use(sp.GetRequiredService<OfferedModels>()));

    private async Task<HttpResponseMessage> ChatAsync(string model)
    {
        using var client = gateway.Client(gateway.Key);
        return await client.PostAsync("/v1/chat/completions", new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));
    }

    [Fact]
    public async Task New_upstream_models_are_offered_unpriced_and_unroutable_until_an_admin_accepts_one_with_a_price()
    {
        var newModel = $"brand-new-{Guid.NewGuid():N}"[..20];
        gateway.Upstream.Models = [GatewayApp.Aliases["gpt"].Model, newModel];

        var refused = await WithOffersAsync(o => o.SyncNowAsync(Member));
        Assert.False(refused.Succeeded);

        var synced = await WithOffersAsync(o => o.SyncNowAsync(Admin));
        Assert.True(synced.Succeeded, synced.Error);
        var offers = await WithOffersAsync(o => o.ListAsync());
        var openai = Assert.Single(offers, o => o.ProviderName == "fake-openai" && o.UpstreamModel == newModel);
        // What fake-openai already routes is not offered again.
        Assert.DoesNotContain(offers, o => o.ProviderName == "fake-openai" && o.UpstreamModel == GatewayApp.Aliases["gpt"].Model);
        await using (var db = gateway.App.OpenDb())
        {
            Assert.False(await db.Prices.AnyAsync(p => p.UpstreamModel == newModel));
            Assert.False(await db.ModelTargets.AnyAsync(t => t.UpstreamModel == newModel));
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "models.synced" && a.Actor == Admin.Name));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await ChatAsync(newModel)).StatusCode);

        var again = await WithOffersAsync(o => o.SyncAsync(default));
        Assert.Equal(0, again.Offered);

        var unpriced = await WithOffersAsync(o => o.AcceptAsync(Admin, openai.Id, new OfferAcceptance { Alias = newModel }));
        Assert.False(unpriced.Succeeded);
        Assert.Contains("price", unpriced.Error, StringComparison.OrdinalIgnoreCase);
        var byMember = await WithOffersAsync(o => o.AcceptAsync(Member, openai.Id, new OfferAcceptance { Alias = newModel, InputPerMillion = 1m, OutputPerMillion = 2m }));
        Assert.False(byMember.Succeeded);
        await using (var db = gateway.App.OpenDb())
            Assert.False(await db.Prices.AnyAsync(p => p.UpstreamModel == newModel));

        var accepted = await WithOffersAsync(o => o.AcceptAsync(Admin, openai.Id, new OfferAcceptance { Alias = newModel, InputPerMillion = 1.5m, OutputPerMillion = 6m }));
        Assert.True(accepted.Succeeded, accepted.Error);
        await using (var db = gateway.App.OpenDb())
        {
            var price = await db.Prices.SingleAsync(p => p.UpstreamModel == newModel && p.ProviderId == openai.ProviderId);
            Assert.Equal((1.5m, 1.5m, 6m), (price.InputPerMillion, price.CachedInputPerMillion, price.OutputPerMillion));
            Assert.Equal(OfferedModelStatuses.Accepted, (await db.OfferedModels.SingleAsync(o => o.Id == openai.Id)).Status);
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "model.offer_accepted" && a.Target == $"model:{newModel}"));
        }
        Assert.DoesNotContain(await WithOffersAsync(o => o.ListAsync()), o => o.Id == openai.Id);
        var served = await ChatAsync(newModel);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var row = await gateway.CallAsync(served.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(("fake-openai", newModel), (row.ProviderName, row.ModelServed));
        Assert.True(row.Cost > 0);
    }

    [Fact]
    public async Task A_dismissed_model_is_not_offered_again()
    {
        var newModel = $"dismiss-me-{Guid.NewGuid():N}"[..20];
        gateway.Upstream.Models = [newModel];
        await WithOffersAsync(o => o.SyncAsync(default));
        var offer = Assert.Single(await WithOffersAsync(o => o.ListAsync()), o => o.ProviderName == "fake-gemini" && o.UpstreamModel == newModel);

        Assert.True((await WithOffersAsync(o => o.DismissAsync(Admin, offer.Id))).Succeeded);
        await WithOffersAsync(o => o.SyncAsync(default));

        Assert.DoesNotContain(await WithOffersAsync(o => o.ListAsync()), o => o.Id == offer.Id || (o.ProviderName == "fake-gemini" && o.UpstreamModel == newModel));
    }
}

public sealed class ModelListSyncTests_on_Sqlite(SqliteGatewayApp g) : ModelListSyncTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class ModelListSyncTests_on_Postgres(PostgresGatewayApp g) : ModelListSyncTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
