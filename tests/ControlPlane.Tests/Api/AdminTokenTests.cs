using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Features.AdminTokens;
using ControlPlane.Features.People;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using static ControlPlane.Tests.Api.ApiKit;

namespace ControlPlane.Tests.Api;

/// <summary>Admin tokens over HTTP: who they act as, their audit, expiry, revocation, the roles one may hand out, team limits.</summary>
public abstract class AdminTokenTests(AppFixture fixture)
{
    private AppFactory App => fixture.App;

    [DatabaseFact]
    public async Task A_token_acts_as_its_creator_with_its_role_and_its_use_is_audited_once_a_minute()
    {
        var token = await App.TokenAsync(DemoOrg.Olivia, Roles.Auditor);
        var client = App.ApiClient(token);

        await BodyAsync(await client.GetAsync("/api/v1/teams"), HttpStatusCode.OK);
        await BodyAsync(await client.GetAsync("/api/v1/keys"), HttpStatusCode.OK);
        // An Auditor may not create teams, whoever made the token.
        await ProblemAsync(await client.PostAsync("/api/v1/teams", Json("""{"name": "x"}""")), HttpStatusCode.Forbidden);

        await using var db = App.OpenDb();
        var row = await db.AdminTokens.AsNoTracking().SingleAsync(t => t.Prefix == token.Substring(0, AdminTokenService.PrefixLength));
        Assert.NotNull(row.LastUsedAt);
        var uses = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "admin_token.used" && e.Target == $"admin-token:{row.Id}").ToListAsync();
        var use = Assert.Single(uses); // three requests within the minute: one entry
        Assert.Equal(DemoOrg.Olivia, use.Actor);
        Assert.DoesNotContain(token, use.Details, StringComparison.Ordinal);
        Assert.NotEqual(token, row.Hash);
    }

    [DatabaseFact]
    public async Task A_change_made_with_a_token_is_audited_as_its_creator()
    {
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Adam, Roles.Admin));
        var name = DemoOrg.Unique("audited");

        var team = await BodyAsync(await client.PostAsync("/api/v1/teams", Json($$"""{"name": "{{name}}"}""")), HttpStatusCode.Created);

        await using var db = App.OpenDb();
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "team.created" && e.Target == $"team:{team.GetProperty("id").GetGuid()}");
        Assert.Equal(DemoOrg.Adam, entry.Actor);
    }

    [DatabaseFact]
    public async Task An_expired_a_revoked_and_an_unknown_token_are_refused_with_a_problem()
    {
        var expired = await App.TokenAsync(DemoOrg.Olivia, Roles.Auditor);
        await using (var db = App.OpenDb())
            await db.AdminTokens.Where(t => t.Prefix == expired.Substring(0, AdminTokenService.PrefixLength))
                .ExecuteUpdateAsync(t => t.SetProperty(x => x.ExpiresAt, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        var problem = await ProblemAsync(await App.ApiClient(expired).GetAsync("/api/v1/teams"), HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var owner = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner));
        var doomed = await App.TokenAsync(DemoOrg.Olivia, Roles.Auditor);
        await BodyAsync(await App.ApiClient(doomed).GetAsync("/api/v1/teams"), HttpStatusCode.OK);
        var listed = await owner.AllPagesAsync("/api/v1/admin-tokens");
        var id = listed.Single(t => doomed.StartsWith(t.GetProperty("prefix").GetString()!, StringComparison.Ordinal)).GetProperty("id").GetGuid();
        var read = await owner.GetAsync($"/api/v1/admin-tokens/{id}");
        await ProblemAsync(await owner.SendAsync(HttpMethod.Delete, $"/api/v1/admin-tokens/{id}"), HttpStatusCode.PreconditionRequired);
        await BodyAsync(await owner.SendAsync(HttpMethod.Delete, $"/api/v1/admin-tokens/{id}", ifMatch: read.Headers.ETag!.Tag), HttpStatusCode.OK);
        problem = await ProblemAsync(await App.ApiClient(doomed).GetAsync("/api/v1/teams"), HttpStatusCode.Unauthorized);
        Assert.Contains("revoked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await ProblemAsync(await App.ApiClient("cp_admin_" + new string('x', 40)).GetAsync("/api/v1/teams"), HttpStatusCode.Unauthorized);
        // A token is for the API only: a page does not take it.
        var page = await App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner)).GetAsync("/teams");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    private static readonly string[] AboveAnAdmin = [Roles.Owner, Roles.FinanceAdmin];

    [DatabaseFact]
    public async Task An_admin_hands_out_no_role_above_their_own_and_the_secret_is_shown_once()
    {
        var admin = App.ApiClient(await App.TokenAsync(DemoOrg.Adam, Roles.Admin));

        foreach (var role in AboveAnAdmin)
        {
            var problem = await ProblemAsync(await admin.PostAsync("/api/v1/admin-tokens", Json($$"""{"name": "ci", "role": "{{role}}"}""")), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
        }
        var made = await BodyAsync(await admin.PostAsync("/api/v1/admin-tokens", Json("""{"name": "ci", "role": "Auditor", "expiresInDays": 7}""")), HttpStatusCode.Created);
        var secret = made.GetProperty("secret").GetString()!;
        Assert.StartsWith(AdminTokenService.PlaintextStart, secret, StringComparison.Ordinal);
        var id = made.GetProperty("token").GetProperty("id").GetGuid();
        var again = await BodyAsync(await admin.GetAsync($"/api/v1/admin-tokens/{id}"), HttpStatusCode.OK);
        Assert.False(again.TryGetProperty("secret", out _));
        Assert.DoesNotContain(secret, again.GetRawText(), StringComparison.Ordinal);
        await BodyAsync(await App.ApiClient(secret).GetAsync("/api/v1/wallets"), HttpStatusCode.OK);
        // Other roles may not manage tokens at all.
        await ProblemAsync(await App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.FinanceAdmin)).GetAsync("/api/v1/admin-tokens"), HttpStatusCode.Forbidden);
    }

    [DatabaseFact]
    public async Task A_token_limited_to_a_team_sees_and_changes_only_that_team_and_its_subteams()
    {
        var engineering = await App.TeamIdAsync("Engineering");
        var research = await App.TeamIdAsync("Research");
        var client = App.ApiClient(await App.TokenAsync(DemoOrg.Olivia, Roles.Owner, engineering));

        var teams = (await client.AllPagesAsync("/api/v1/teams")).Select(t => t.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["Engineering", "Mobile", "Platform", "Search"], teams);
        await ProblemAsync(await client.GetAsync($"/api/v1/teams/{research}"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.GetAsync($"/api/v1/teams/{research}/members"), HttpStatusCode.NotFound);
        // Keys: only its teams' keys listed, and none made for another team.
        Assert.All(await client.AllPagesAsync("/api/v1/keys"), k => Assert.DoesNotContain("Research", k.GetProperty("teamPath").GetString(), StringComparison.Ordinal));
        await ProblemAsync(await client.PostAsync("/api/v1/keys", Json($$"""{"teamId": "{{research}}", "name": "sneaky"}""")), HttpStatusCode.Forbidden);
        await BodyAsync(await client.PostAsync("/api/v1/keys", Json($$"""{"teamId": "{{engineering}}", "name": "{{DemoOrg.Unique("fine")}}"}""")), HttpStatusCode.Created);
        // Wallets: not the organisation's, not another team's.
        var wallets = await client.AllPagesAsync("/api/v1/wallets");
        var names = wallets.Select(w => w.GetProperty("name").GetString()).ToList();
        Assert.Contains("Team Platform", names);
        Assert.DoesNotContain("Team Research", names);
        Assert.DoesNotContain(wallets, w => w.GetProperty("ownerKind").GetString() == "organization");
        // Organisation-wide changes need an unlimited token.
        await ProblemAsync(await client.PostAsync("/api/v1/teams", Json($$"""{"name": "{{DemoOrg.Unique("nope")}}"}""")), HttpStatusCode.Forbidden);
    }

    [DatabaseFact]
    public async Task A_session_cookie_reaches_the_api_and_needs_the_antiforgery_token_to_change_things()
    {
        using var browser = App.CreateBrowserClient();
        await browser.SignInAsync(DemoOrg.Adam);

        var teams = await browser.GetFromJsonAsync<JsonElement>("/api/v1/teams");
        Assert.True(teams.GetProperty("items").GetArrayLength() > 0);
        var refused = await browser.PostAsync("/api/v1/teams", Json("""{"name": "from a forged form"}"""));
        var problem = await ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains("antiforgery", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var anonymous = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await ProblemAsync(await anonymous.GetAsync("/api/v1/teams"), HttpStatusCode.Unauthorized);
    }
}

public sealed class AdminTokenTests_on_Sqlite(SqliteApp f) : AdminTokenTests(f), IClassFixture<SqliteApp>;

public sealed class AdminTokenTests_on_Postgres(PostgresApp f) : AdminTokenTests(f), IClassFixture<PostgresApp>;
