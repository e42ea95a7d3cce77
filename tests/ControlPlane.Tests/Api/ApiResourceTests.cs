using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Api.ApiKit;

namespace ControlPlane.Tests.Api;

/// <summary>The resources over HTTP with a token of each role: allowed and refused exactly as the pages and services decide.</summary>
public abstract class ApiResourceTests(AppFixture fixture)
{
    private AppFactory App => fixture.App;

    [DatabaseFact]
    public async Task Each_role_is_allowed_and_refused_as_on_the_pages()
    {
        var platform = await App.TeamIdAsync("Platform");
        Guid sales, provider;
        await using (var db = App.OpenDb())
        {
            sales = await db.Wallets.Where(w => w.Name == "Team Sales").Select(w => w.Id).SingleAsync();
            provider = await db.Providers.Select(p => p.Id).FirstAsync();
        }
        var wrong = new List<string>();
        foreach (var role in Roles.All)
        {
            // Made by the Owner, who may hand out every role; the token acts as her with that role.
            var client = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, role));
            var actor = new Actor(Guid.NewGuid(), "probe", role);
            async Task Expect(string what, HttpResponseMessage response, bool allowed)
            {
                var ok = (int)response.StatusCode is >= 200 and < 300;
                if (ok != allowed) wrong.Add($"{role}: {what} answered {(int)response.StatusCode}, expected {(allowed ? "success" : "refusal")}");
                // Refused: 403, or 404 for a thing the role may not even see (as the page would not list it).
                if (!ok && response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound)) wrong.Add($"{role}: {what} refused with {(int)response.StatusCode}");
                if (!ok) await ProblemAsync(response, response.StatusCode);
            }

            await Expect("GET teams", await client.GetAsync("/api/v1/teams"), Policies.Grants[Policies.TeamsView].Contains(role));
            await Expect("POST teams", await client.PostAsync("/api/v1/teams", Json($$"""{"name": "{{DemoOrg.Unique("role")}}"}""")), actor.CanManageAllTeams);
            await Expect("GET keys", await client.GetAsync("/api/v1/keys"), Policies.Grants[Policies.KeysView].Contains(role));
            // A TeamLead token acts as its creator, who leads no team: no keys for Platform (as a lead of nothing on the page).
            await Expect("POST keys", await client.PostAsync("/api/v1/keys", Json($$"""{"teamId": "{{platform}}", "name": "{{DemoOrg.Unique("k")}}"}""")), actor.CanManageAllTeams);
            await Expect("GET wallets", await client.GetAsync("/api/v1/wallets"), Policies.Grants[Policies.WalletsView].Contains(role));
            var read = await client.GetAsync($"/api/v1/wallets/{sales}");
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/wallets/{sales}") { Content = Json("""{"limit": 4, "period": "monthly", "thresholds": [80, 90, 95], "exhaustionPolicy": "warn"}""") };
            put.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag?.Tag ?? "*");
            await Expect("PUT wallet", await client.SendAsync(put), WalletService.MayEdit(actor));
            await Expect("GET transfers", await client.GetAsync("/api/v1/transfers"), Policies.Grants[Policies.TransfersView].Contains(role));
            await Expect("GET admin-tokens", await client.GetAsync("/api/v1/admin-tokens"), Policies.Grants[Policies.ApiTokensManage].Contains(role));
            await Expect("GET providers", await client.GetAsync("/api/v1/providers"), Policies.Grants[Policies.ProvidersView].Contains(role));
            await Expect("GET prices", await client.GetAsync("/api/v1/prices"), Policies.Grants[Policies.PricesView].Contains(role));
            await Expect("POST prices", await client.PostAsync("/api/v1/prices", Json($$"""{"providerId": "{{provider}}", "upstreamModel": "{{DemoOrg.Unique("m")}}", "inputPerMillion": 1, "outputPerMillion": 2}""")),
                PriceBookService.MayEdit(actor));
            await Expect("GET audit", await client.GetAsync("/api/v1/audit?action=team."), Policies.Grants[Policies.AuditView].Contains(role));
            await Expect("GET chargeback", await client.GetAsync("/api/v1/chargeback?from=2026-11-01&to=2026-11-30"), Policies.Grants[Policies.ChargebackExport].Contains(role));
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [DatabaseFact]
    public async Task A_rotated_key_works_beside_its_replacement_for_the_grace_period()
    {
        var platform = await App.TeamIdAsync("Platform");
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner));
        var made = await BodyAsync(await client.PostAsync("/api/v1/keys", Json($$"""{"teamId": "{{platform}}", "name": "{{DemoOrg.Unique("rot")}}"}""")), HttpStatusCode.Created);
        var first = made.GetProperty("secret").GetString()!;
        var id = made.GetProperty("key").GetProperty("id").GetGuid();

        var rotated = await BodyAsync(await client.PostAsync($"/api/v1/keys/{id}/rotate", Json("""{"graceMinutes": 60}""")), HttpStatusCode.Created);
        var second = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, (await Gateway(first).GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Gateway(second).GetAsync("/v1/models")).StatusCode);
        var old = await BodyAsync(await client.GetAsync($"/api/v1/keys/{id}"), HttpStatusCode.OK);
        Assert.Equal("Active", old.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, old.GetProperty("expiresAt").ValueKind);

        // No grace: the replaced key stops at once, its replacement works.
        var secondId = rotated.GetProperty("key").GetProperty("id").GetGuid();
        var third = (await BodyAsync(await client.PostAsync($"/api/v1/keys/{secondId}/rotate", Json("""{"graceMinutes": 0}""")), HttpStatusCode.Created)).GetProperty("secret").GetString()!;
        Assert.NotEqual(HttpStatusCode.OK, (await Gateway(second).GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Gateway(third).GetAsync("/v1/models")).StatusCode);
        await ProblemAsync(await client.PostAsync($"/api/v1/keys/{secondId}/rotate", Json("{}")), HttpStatusCode.Conflict);
        await ProblemAsync(await client.PostAsync($"/api/v1/keys/{id}/rotate", Json("""{"graceMinutes": 100000}""")), HttpStatusCode.BadRequest);

        await using var db = App.OpenDb();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "key.rotated" && e.Actor == DemoOrg.Olivia));
    }

    [DatabaseFact]
    public async Task A_key_is_revoked_only_with_the_current_etag()
    {
        var platform = await App.TeamIdAsync("Platform");
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Adam, Roles.Admin));
        var made = await BodyAsync(await client.PostAsync("/api/v1/keys", Json($$"""{"teamId": "{{platform}}"}""")), HttpStatusCode.Created);
        var id = made.GetProperty("key").GetProperty("id").GetGuid();
        var read = await client.GetAsync($"/api/v1/keys/{id}");

        await ProblemAsync(await client.SendAsync(HttpMethod.Delete, $"/api/v1/keys/{id}", ifMatch: "\"stale\""), HttpStatusCode.PreconditionFailed);
        var revoked = await BodyAsync(await client.SendAsync(HttpMethod.Delete, $"/api/v1/keys/{id}", ifMatch: read.Headers.ETag!.Tag), HttpStatusCode.OK);
        Assert.Equal("Revoked", revoked.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Gateway(made.GetProperty("secret").GetString()!).GetAsync("/v1/models")).StatusCode);
    }

    [DatabaseFact]
    public async Task A_transfer_asked_for_by_a_lead_is_approved_over_the_api()
    {
        Guid wallet;
        await using (var db = App.OpenDb())
            wallet = await db.Wallets.Where(w => w.Name == "Team Platform").Select(w => w.Id).SingleAsync();
        var leo = await App.ActorAsync(DemoOrg.Leo);
        var asked = await App.WithScopeAsync(async sp => await sp.GetRequiredService<TransferService>()
            .RequestAsync(leo, new TransferForm { ToWalletId = wallet, Amount = 1m, Reason = "api approval test" }));
        Assert.True(asked.Succeeded, asked.Error);

        var owner = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner));
        var listed = await owner.AllPagesAsync("/api/v1/transfers?view=queue");
        Assert.Contains(listed, t => t.GetProperty("id").GetGuid() == asked.Value!.Id);
        var approved = await BodyAsync(await owner.PostAsync($"/api/v1/transfers/{asked.Value!.Id}/approve", Json("""{"comment": "ok"}""")), HttpStatusCode.OK);
        Assert.Equal(TransferStates.Approved, approved.GetProperty("state").GetString());
        await ProblemAsync(await owner.PostAsync($"/api/v1/transfers/{asked.Value.Id}/reject", Json("""{"comment": "too late"}""")), HttpStatusCode.Conflict);
        await ProblemAsync(await owner.PostAsync($"/api/v1/transfers/{asked.Value.Id}/reject", Json("{}")), HttpStatusCode.BadRequest);
    }

    [DatabaseFact]
    public async Task A_price_added_over_the_api_is_listed_and_found_in_the_audit_query()
    {
        Guid provider;
        await using (var db = App.OpenDb())
            provider = await db.Providers.Select(p => p.Id).FirstAsync();
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner));
        var model = DemoOrg.Unique("priced");

        var added = await BodyAsync(await client.PostAsync("/api/v1/prices",
            Json($$"""{"providerId": "{{provider}}", "upstreamModel": "{{model}}", "inputPerMillion": 1.25, "outputPerMillion": 10}""")), HttpStatusCode.Created);
        Assert.Equal(1.25m, added.GetProperty("inputPerMillion").GetDecimal());
        Assert.Contains(await client.AllPagesAsync("/api/v1/prices?limit=200"), p => p.GetProperty("upstreamModel").GetString() == model);
        var zero = await ProblemAsync(await client.PostAsync("/api/v1/prices",
            Json($$"""{"providerId": "{{provider}}", "upstreamModel": "{{model}}", "inputPerMillion": 0, "outputPerMillion": 0}""")), HttpStatusCode.BadRequest);
        Assert.Contains("free", zero.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var audit = await BodyAsync(await client.GetAsync("/api/v1/audit?action=price.added"), HttpStatusCode.OK);
        Assert.Contains(model, audit.GetRawText(), StringComparison.Ordinal);
        await ProblemAsync(await client.GetAsync("/api/v1/audit?from=yesterday"), HttpStatusCode.BadRequest);
    }

    [DatabaseFact]
    public async Task A_providers_api_key_is_write_only_and_its_edits_need_the_current_etag()
    {
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Adam, Roles.Admin));
        const string secret = "sk-test-0123456789abcdef";

        var made = await client.PostAsync("/api/v1/providers",
            Json($$"""{"name": "{{DemoOrg.Unique("local")}}", "kind": "openai", "baseUrl": "http://127.0.0.1:1/v1", "apiKey": "{{secret}}"}"""));
        var provider = await BodyAsync(made, HttpStatusCode.Created);
        Assert.DoesNotContain(secret, provider.GetRawText(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(provider.GetProperty("apiKeyHint").GetString()));
        var url = $"/api/v1/providers/{provider.GetProperty("id").GetGuid()}";
        var read = await client.GetAsync(url);
        Assert.DoesNotContain(secret, await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var edit = $$"""{"name": "{{provider.GetProperty("name").GetString()}}", "kind": "openai", "baseUrl": "http://127.0.0.1:1/v1", "maxRetries": 1}""";
        var edited = await BodyAsync(await client.SendAsync(HttpMethod.Put, url, edit, ifMatch: read.Headers.ETag!.Tag), HttpStatusCode.OK);
        Assert.Equal(1, edited.GetProperty("maxRetries").GetInt32());
        Assert.Equal(provider.GetProperty("apiKeyHint").GetString(), edited.GetProperty("apiKeyHint").GetString()); // the key was kept
        await ProblemAsync(await client.SendAsync(HttpMethod.Put, url, edit, ifMatch: read.Headers.ETag!.Tag), HttpStatusCode.PreconditionFailed);
        var badUrl = await ProblemAsync(await client.PostAsync("/api/v1/providers", Json("""{"name": "x", "kind": "openai", "baseUrl": "not a url"}""")), HttpStatusCode.BadRequest);
        Assert.True(badUrl.GetProperty("errors").TryGetProperty("baseUrl", out _));
        // An Auditor reads providers and changes none.
        var auditor = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Auditor));
        await BodyAsync(await auditor.GetAsync(url), HttpStatusCode.OK);
        await ProblemAsync(await auditor.SendAsync(HttpMethod.Put, url, edit, ifMatch: "*"), HttpStatusCode.Forbidden);
    }

    private HttpClient Gateway(string key)
    {
        var client = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

public sealed class ApiResourceTests_on_Sqlite(SqliteApp f) : ApiResourceTests(f), IClassFixture<SqliteApp>;

public sealed class ApiResourceTests_on_Postgres(PostgresApp f) : ApiResourceTests(f), IClassFixture<PostgresApp>;
