using System.Net;
using System.Security.Cryptography;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// The provider rotates its signing key while the app runs: the app fetches the new key set when a token names a key
/// it has not seen, without a restart. Okta and Entra publish a new key ahead of using it, which the handler's
/// periodic metadata refresh picks up; this is the harsher case.
/// </summary>
public abstract class OidcKeyRotationTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string RotatedKeyId = "test-signing-key-2";

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
    public async Task After_an_unannounced_rotation_one_sign_in_is_refused_and_the_app_fetches_the_new_keys_for_the_next()
    {
        using (var before = _app.Browser())
        {
            await before.SignInAsync("ada");
            await AssertSignedInAsync(before);
        }
        var fetchesBefore = _app.TokenResponses.KeyFetches;

        // The provider rotates without publishing the new key ahead: only the new key is in its key set, and its
        // tokens are signed with it. The first sign-in names a key the app has not cached: refused, and it makes the
        // handler read the key set again.
        using var rotated = RSA.Create(2048);
        _app.TokenResponses.Keys = IdTokens.JwksOf(rotated, RotatedKeyId);
        _app.TokenResponses.Rewrite = IdTokens.RewritingIdToken(token => IdTokens.WithPayload(token, _ => { }, rotated, RotatedKeyId));
        using (var first = _app.Browser())
            Assert.Equal("/sign-in?failed=not-verified", (await first.SignInAsync("fern")).PathAndQuery);
        await WaitForAsync(() => _app.TokenResponses.KeyFetches > fetchesBefore, "The app never fetched the provider's new key set.");

        using (var after = _app.Browser())
        {
            var landing = await after.SignInAsync("fern");
            Assert.True(landing.Status == HttpStatusCode.OK && !landing.PathAndQuery.StartsWith("/sign-in", StringComparison.Ordinal),
                $"Landed on {landing.PathAndQuery}:\n{string.Join('\n', _app.Logs.Lines.TakeLast(15))}");
            await AssertSignedInAsync(after);
        }
    }

    private static async Task WaitForAsync(Func<bool> done, string failure)
    {
        for (var waited = 0; !done(); waited += 50)
        {
            Assert.True(waited < 10_000, failure);
            await Task.Delay(50);
        }
    }

    private async Task AssertSignedInAsync(OidcBrowser browser) =>
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync(new Uri(_app.BaseUrl, "/"))).StatusCode);
}

public sealed class OidcKeyRotationTests_on_Sqlite() : OidcKeyRotationTests(DatabaseProvider.Sqlite);

public sealed class OidcKeyRotationTests_on_Postgres() : OidcKeyRotationTests(DatabaseProvider.Postgres);
