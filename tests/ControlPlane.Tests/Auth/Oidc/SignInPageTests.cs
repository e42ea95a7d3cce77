using ControlPlane.Infrastructure.Auth.Sso;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.Auth.Oidc;

/// <summary>
/// The sign-in page outside Development: a button per configured identity provider, the reason a sign-in failed, and
/// when nothing is configured, what to configure. Provider settings are checked when the app starts.
/// </summary>
public sealed class SignInPageTests : IAsyncLifetime
{
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private static Dictionary<string, string?> Okta(string name = "okta") => new()
    {
        [$"Auth:Oidc:{name}:DisplayName"] = "Acme Okta",
        [$"Auth:Oidc:{name}:Authority"] = "https://acme.okta.example",
        [$"Auth:Oidc:{name}:ClientId"] = "0oa-client",
        [$"Auth:Oidc:{name}:ClientSecret"] = "secret",
    };

    [Fact]
    public async Task With_no_identity_provider_the_page_says_what_to_configure()
    {
        await using var app = new AppFactory(_database, environment: "Production");
        using var client = app.CreateBrowserClient();

        var page = await client.GetStringAsync("/sign-in");

        Assert.Contains("No identity provider is configured", page, StringComparison.Ordinal);
        Assert.Contains("Auth:Oidc:{name}:Authority", page, StringComparison.Ordinal);
        Assert.Contains("Auth:Saml:{name}:IdpMetadataUrl", page, StringComparison.Ordinal);
        Assert.Contains("Auth:RoleMappings:Rules", page, StringComparison.Ordinal);
        Assert.Contains("README", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_configured_provider_has_a_button_that_keeps_the_return_address()
    {
        var settings = Okta();
        foreach (var (key, value) in Okta("entra")) settings[key] = value;
        settings["Auth:Oidc:entra:DisplayName"] = "Contoso Entra ID";
        await using var app = new AppFactory(_database, environment: "Production", settings: settings);
        using var client = app.CreateBrowserClient();

        var page = await client.GetStringAsync("/sign-in?returnUrl=%2Fkeys");

        Assert.Contains("Sign in with Acme Okta", page, StringComparison.Ordinal);
        Assert.Contains("Sign in with Contoso Entra ID", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/sign-in/okta?returnUrl=%2Fkeys\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("No identity provider is configured", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_sign_in_shows_our_words_for_its_reason_and_nothing_else_from_the_address()
    {
        await using var app = new AppFactory(_database, environment: "Production", settings: Okta());
        using var client = app.CreateBrowserClient();

        Assert.Contains(SignInFailure.SwitchedOff.Message, await client.GetStringAsync("/sign-in?failed=switched-off"), StringComparison.Ordinal);
        var forged = await client.GetStringAsync("/sign-in?failed=Call%200800-SCAM%20now");
        Assert.DoesNotContain("SCAM", forged, StringComparison.Ordinal);
        Assert.DoesNotContain("sign-in-failure", forged, StringComparison.Ordinal);
    }

    [Fact]
    public void A_provider_with_a_missing_client_id_stops_the_app_at_start_naming_the_setting()
    {
        var settings = Okta();
        settings["Auth:Oidc:okta:ClientId"] = "";
        settings["Auth:Oidc:okta:Authority"] = "http://acme.okta.example";
        using var app = new AppFactory(_database, environment: "Production", settings: settings);

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        var message = string.Join(" | ", Unwrap(error).Select(e => e.Message));
        Assert.Contains("Auth:Oidc:okta:ClientId is empty", message, StringComparison.Ordinal);
        Assert.Contains("Auth:Oidc:okta:Authority must be https", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_provider_name_used_under_both_oidc_and_saml_stops_the_app_at_start()
    {
        var settings = Okta();
        settings["Auth:Saml:okta:SpEntityId"] = "https://cp.example/saml";
        using var app = new AppFactory(_database, environment: "Production", settings: settings);

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains(Unwrap(error), e => e.Message.Contains("Auth:Oidc:okta: the name is also used under Auth:Saml", StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Unwrap(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Unwrap)) yield return inner;
        }
    }
}
