using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// What the OpenIdConnect handler must refuse, against a real provider: the token endpoint's answer is changed on the
/// way (the handler's back channel) or a callback is replayed. Each ends at the sign-in page with no session, a log
/// line that says why, and an audit entry.
/// </summary>
public abstract class OidcAttackTests(DatabaseProvider provider) : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private OidcTestApp _app = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(provider);
        _app = await OidcTestApp.StartAsync(_database);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [DatabaseFact]
    public Task A_tampered_id_token_is_refused() =>
        AssertRefusedAsync(token => IdTokens.WithPayload(token, p => p["groups"] = new JsonArray("cp-admins", "cp-owners"), resign: null), "Signature validation failed");

    [DatabaseFact]
    public Task An_id_token_for_another_audience_is_refused() =>
        AssertRefusedAsync(token => IdTokens.WithPayload(token, p => p["aud"] = "some-other-app", _app.Provider.SigningKey), "Audience validation failed");

    [DatabaseFact]
    public Task An_id_token_from_another_issuer_is_refused() =>
        AssertRefusedAsync(token => IdTokens.WithPayload(token, p => p["iss"] = "http://127.0.0.1:1", _app.Provider.SigningKey), "Issuer validation failed");

    [DatabaseFact]
    public Task An_expired_id_token_is_refused() =>
        AssertRefusedAsync(token => IdTokens.WithPayload(token, p =>
        {
            var now = TimeProvider.System.GetUtcNow();
            p["iat"] = now.AddHours(-2).ToUnixTimeSeconds();
            p["exp"] = now.AddHours(-1).ToUnixTimeSeconds();
        }, _app.Provider.SigningKey), "Lifetime validation failed");

    [DatabaseFact]
    public async Task An_id_token_signed_with_an_unknown_key_is_refused()
    {
        using var stranger = RSA.Create(2048);
        await AssertRefusedAsync(token => IdTokens.WithPayload(token, _ => { }, stranger), "Signature validation failed");
    }

    [DatabaseFact]
    public async Task A_replayed_state_is_refused()
    {
        using var victim = _app.Browser();
        victim.StopAtCallback = true;
        await victim.SignInAsync("ada");
        var callback = victim.Callback!;
        Assert.Equal(HttpStatusCode.OK, (await victim.FollowAsync(callback)).Status); // the real sign-in goes through once

        using var attacker = _app.Browser();
        var replay = await attacker.FollowAsync(callback);

        await AssertNoSessionAsync(attacker, replay, "Correlation failed");
    }

    [DatabaseFact]
    public async Task A_replayed_nonce_is_refused()
    {
        using (var first = _app.Browser())
            await first.SignInAsync("ada");
        var earlier = _app.TokenResponses.Seen.Last();
        // Someone holding Ada's earlier token response plays it into a new sign-in: its id_token is genuine, its nonce is not this one's.
        _app.TokenResponses.Rewrite = _ => earlier;

        using var attacker = _app.Browser();
        var landing = await attacker.SignInAsync("nobody");

        await AssertNoSessionAsync(attacker, landing, "nonce");
    }

    [DatabaseFact]
    public async Task An_entra_group_overage_is_named_in_the_log_and_the_person_is_refused_for_having_no_group()
    {
        // Entra ID past 200 groups: no groups in the token, a pointer to Graph instead (and none from userinfo).
        await _app.Provider.SetGroupsAsync("ada");
        _app.TokenResponses.Rewrite = IdTokens.RewritingIdToken(token => IdTokens.WithPayload(token, p =>
        {
            p.Remove("groups");
            p["_claim_names"] = new JsonObject { ["groups"] = "src1" };
        }, _app.Provider.SigningKey));
        using var browser = _app.Browser();

        var landing = await browser.SignInAsync("ada");

        Assert.Equal("/sign-in?failed=no-group", landing.PathAndQuery);
        Assert.Contains(_app.Logs.Lines, l => l.Contains("group overage", StringComparison.Ordinal));
    }

    private async Task AssertRefusedAsync(Func<string, string> changeIdToken, string why)
    {
        _app.TokenResponses.Rewrite = IdTokens.RewritingIdToken(changeIdToken);
        using var browser = _app.Browser();
        var landing = await browser.SignInAsync("ada");

        await AssertNoSessionAsync(browser, landing, why);
        await using var db = _app.App.OpenDb();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "ada.admin@corp.test"));
    }

    private async Task AssertNoSessionAsync(OidcBrowser browser, Landing landing, string why)
    {
        Assert.Equal("/sign-in?failed=not-verified", landing.PathAndQuery);
        Assert.Contains("could not be verified", landing.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync(new Uri(_app.BaseUrl, "/"))).StatusCode);
        var line = _app.Logs.Lines.SingleOrDefault(l => l.Contains("Sign-in through identity provider test refused", StringComparison.Ordinal));
        Assert.True(line is not null, $"No refusal line in the log:\n{string.Join('\n', _app.Logs.Lines.TakeLast(30))}");
        Assert.Contains(why, line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("eyJ", line, StringComparison.Ordinal); // never a token
        await using var db = _app.App.OpenDb();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "user.sign_in_refused" && e.Target == "sso:test"));
    }
}

public sealed class OidcAttackTests_on_Sqlite() : OidcAttackTests(DatabaseProvider.Sqlite);

public sealed class OidcAttackTests_on_Postgres() : OidcAttackTests(DatabaseProvider.Postgres);
