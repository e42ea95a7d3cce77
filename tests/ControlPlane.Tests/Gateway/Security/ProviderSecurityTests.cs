using System.Net;
using System.Security.Claims;
using System.Text;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>
/// Findings 3 and 4 of the security review through the real app and database: a stored key cannot be sent to a new
/// address without being typed again, provider addresses are checked when saved, the connection test is the server's
/// to authorize and reports classified failures, redirects are not followed and provider answers are read within bounds.
/// </summary>
public abstract class ProviderSecurityTests<TApp>(TApp gateway) : IDisposable where TApp : ProviderSecurityApp
{
    private static readonly Actor Admin = new(Guid.NewGuid(), "admin@example.test", Roles.Admin);
    private const string FirstKey = "sk-first-key-0123456789";

    public void Dispose()
    {
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 404, "text/plain", [], ct);
        GC.SuppressFinalize(this);
    }

    private Task<T> WithProviders<T>(Func<ProviderService, IServiceProvider, Task<T>> use) =>
        gateway.App.WithScopeAsync(async sp => await use(sp.GetRequiredService<ProviderService>(), sp));

    private ProviderForm Form(string name, string? url = null, string? key = null, string kind = ProviderKinds.OpenAI) => new()
    {
        Name = name, Kind = kind, BaseUrl = url ?? $"{gateway.Scripted.Origin}/v1", ApiKey = key,
    };

    private async Task<Provider> CreateAsync(string? url = null)
    {
        var saved = await WithProviders((providers, _) => providers.SaveAsync(Admin, null, Form($"p-{Guid.NewGuid():N}"[..20], url, FirstKey)));
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!;
    }

    private async Task<Provider> StoredAsync(Guid id)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Providers.AsNoTracking().SingleAsync(p => p.Id == id);
    }

    private string? Decrypt(string? encrypted) => gateway.App.Services.GetRequiredService<ProviderSecrets>().Unprotect(encrypted);

    [Theory]
    [InlineData("scheme and host")]
    [InlineData("port")]
    [InlineData("kind")]
    public async Task Changing_where_the_key_goes_without_typing_it_again_is_refused_and_the_stored_key_stays(string change)
    {
        var created = await CreateAsync();
        var edit = Form(created.Name);
        switch (change)
        {
            case "scheme and host": edit.BaseUrl = "https://api.openai.com/v1"; break;
            case "port": edit.BaseUrl = $"{gateway.Silent.Origin}/v1"; break;
            default: edit.Kind = ProviderKinds.Anthropic; break;
        }

        var saved = await WithProviders((providers, _) => providers.SaveAsync(Admin, created.Id, edit));

        Assert.False(saved.Succeeded);
        Assert.StartsWith("API key: re-enter the API key: the address changed", saved.Error, StringComparison.Ordinal);
        var stored = await StoredAsync(created.Id);
        Assert.Equal(created.BaseUrl, stored.BaseUrl);
        Assert.Equal(created.Kind, stored.Kind);
        Assert.Equal(FirstKey, Decrypt(stored.EncryptedApiKey));
    }

    [Fact]
    public async Task Changing_only_the_path_keeps_the_stored_key()
    {
        var created = await CreateAsync();

        var saved = await WithProviders((providers, _) => providers.SaveAsync(Admin, created.Id, Form(created.Name, $"{gateway.Scripted.Origin}/v2")));

        Assert.True(saved.Succeeded, saved.Error);
        var stored = await StoredAsync(created.Id);
        Assert.Equal($"{gateway.Scripted.Origin}/v2", stored.BaseUrl);
        Assert.Equal(created.EncryptedApiKey, stored.EncryptedApiKey);
    }

    [Fact]
    public async Task A_new_address_with_a_new_key_or_with_the_key_removed_is_saved()
    {
        var created = await CreateAsync();

        var rekeyed = await WithProviders((providers, _) => providers.SaveAsync(Admin, created.Id, Form(created.Name, $"{gateway.Silent.Origin}/v1", "sk-second-key-0123456789")));
        var afterRekey = await StoredAsync(created.Id);
        var cleared = await WithProviders((providers, _) => providers.SaveAsync(Admin, created.Id, new ProviderForm
        {
            Name = created.Name, Kind = ProviderKinds.OpenAI, BaseUrl = $"{gateway.Scripted.Origin}/v1", ClearApiKey = true,
        }));
        var afterClear = await StoredAsync(created.Id);

        Assert.True(rekeyed.Succeeded, rekeyed.Error);
        Assert.Equal("sk-second-key-0123456789", Decrypt(afterRekey.EncryptedApiKey));
        Assert.True(cleared.Succeeded, cleared.Error);
        Assert.Null(afterClear.EncryptedApiKey);
        Assert.Null(afterClear.ApiKeyHint);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://10.0.0.1/v1", "private")]
    [InlineData("http://[fd00:ec2::254]/", "private")]
    [InlineData("http://100.100.100.200/", "carrier-grade NAT")]
    [InlineData("http://metadata.google.internal/", "cloud metadata host")]
    [InlineData("http://localhost:11434/v1", "loopback")]
    [InlineData("http://127.0.0.1:9/v1", "loopback")]
    public async Task A_provider_on_an_internal_address_is_refused_when_saved_saying_which_range_and_how_to_allow_it(string url, string range)
    {
        var name = $"internal-{Guid.NewGuid():N}"[..20];

        var saved = await WithProviders((providers, _) => providers.SaveAsync(Admin, null, Form(name, url, FirstKey)));

        Assert.False(saved.Succeeded);
        Assert.StartsWith("Base URL: ", saved.Error, StringComparison.Ordinal);
        Assert.Contains(range, saved.Error, StringComparison.Ordinal);
        Assert.Contains("Gateway:AllowedProviderAddresses", saved.Error, StringComparison.Ordinal);
        await using var db = gateway.App.OpenDb();
        Assert.False(await db.Providers.AnyAsync(p => p.Name == name));
    }

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.FinanceAdmin)]
    [InlineData(Roles.TeamLead)]
    [InlineData(Roles.Member)]
    public async Task Only_owners_and_admins_may_test_a_connection_and_nothing_is_sent_for_anyone_else(string role)
    {
        var created = await CreateAsync();
        var before = gateway.Scripted.Requests.Count;

        var check = await WithProviders((providers, _) => providers.TestConnectionAsync(new Actor(Guid.NewGuid(), "someone@example.test", role), created.Id));

        Assert.False(check.Reachable);
        Assert.Equal(ConnectionFailures.NotAllowed, check.Failure);
        Assert.Equal(before, gateway.Scripted.Requests.Count);
    }

    [Fact]
    public async Task The_pages_overload_checks_the_circuits_signed_in_user_and_refuses_when_there_is_none()
    {
        var created = await CreateAsync();
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 200, "application/json", """{"data":[{"id":"m2"},{"id":"m1"}]}"""u8.ToArray(), ct);

        var nobody = await WithProviders((providers, _) => providers.TestConnectionAsync(created.Id));
        var asAuditor = await WithProviders((providers, sp) => { SignIn(sp, Roles.Auditor); return providers.TestConnectionAsync(created.Id); });
        var asAdmin = await WithProviders((providers, sp) => { SignIn(sp, Roles.Admin); return providers.TestConnectionAsync(created.Id); });

        Assert.Equal(ConnectionFailures.NotAllowed, nobody.Failure);
        Assert.Equal(ConnectionFailures.NotAllowed, asAuditor.Failure);
        Assert.True(asAdmin.Reachable, asAdmin.Message);
        Assert.Equal(["m1", "m2"], asAdmin.Models);

        static void SignIn(IServiceProvider sp, string role)
        {
            var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "circuit@example.test"), new Claim(ClaimTypes.Role, role)], "test"));
            ((Microsoft.AspNetCore.Components.Server.ServerAuthenticationStateProvider)sp.GetRequiredService<AuthenticationStateProvider>()).SetAuthenticationState(Task.FromResult(new AuthenticationState(user)));
        }
    }

    [Fact]
    public async Task A_connection_test_that_is_redirected_does_not_follow_and_says_so()
    {
        var created = await CreateAsync();
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 302, "text/plain", [], ct, $"Location: {gateway.Silent.Origin}/v1/models\r\n");

        var check = await WithProviders((providers, _) => providers.TestConnectionAsync(Admin, created.Id));

        Assert.Equal(ConnectionFailures.Redirect, check.Failure);
        Assert.Equal(302, check.Status);
        Assert.StartsWith($"Redirect: the provider answered HTTP 302 to {gateway.Silent.Origin}", check.Message, StringComparison.Ordinal);
        Assert.False(gateway.Silent.ReceivedConnection);
    }

    [Fact]
    public async Task Connection_test_failures_are_classified_not_raw_exception_text()
    {
        var created = await CreateAsync();
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 401, "application/json", """{"error":{"message":"bad key"}}"""u8.ToArray(), ct);
        var unauthorized = await WithProviders((providers, _) => providers.TestConnectionAsync(Admin, created.Id));
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 200, "application/json", Encoding.UTF8.GetBytes($$"""{"data":[{"id":"{{new string('m', 100_000)}}"}]}"""), ct, declareLength: false);
        var oversized = await WithProviders((providers, _) => providers.TestConnectionAsync(Admin, created.Id));
        var closed = await InsertAsync($"http://127.0.0.1:{gateway.ClosedPort}/v1");
        var refused = await WithProviders((providers, _) => providers.TestConnectionAsync(Admin, closed));
        // A row saved before the address rule existed is still refused when tested: the check is at connect time.
        var metadata = await InsertAsync("http://169.254.169.254/latest");
        var notAllowed = await WithProviders((providers, _) => providers.TestConnectionAsync(Admin, metadata));

        Assert.Equal((ConnectionFailures.Http, 401), (unauthorized.Failure, unauthorized.Status));
        Assert.StartsWith("HTTP 401 Unauthorized: the provider refused the API key", unauthorized.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionFailures.TooLarge, oversized.Failure);
        Assert.Contains("larger than 65,536 bytes", oversized.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionFailures.ConnectionRefused, refused.Failure);
        Assert.Equal($"Could not connect: connection refused (nothing listens at 127.0.0.1:{gateway.ClosedPort}).", refused.Message);
        Assert.Equal(ConnectionFailures.AddressNotAllowed, notAllowed.Failure);
        Assert.StartsWith("Address not allowed: 169.254.169.254 is link-local", notAllowed.Message, StringComparison.Ordinal);
    }

    private async Task<Guid> InsertAsync(string url)
    {
        await using var db = gateway.App.OpenDb();
        var provider = new Provider { Id = Guid.NewGuid(), Name = $"raw-{Guid.NewGuid():N}"[..20], Kind = ProviderKinds.OpenAI, BaseUrl = url, MaxRetries = 0 };
        db.Providers.Add(provider);
        await db.SaveChangesAsync();
        return provider.Id;
    }

    private async Task<(HttpResponseMessage Response, string Body, CallRecord Row)> ChatAsync(bool stream)
    {
        using var client = gateway.Client(gateway.Key);
        var request = $$"""{"model":"scripted","messages":[{"role":"user","content":"Hello"}],"max_tokens":50,"stream":{{(stream ? "true" : "false")}}}""";
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(request, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        return (response, body, row);
    }

    [Fact]
    public async Task A_redirect_from_the_provider_is_not_followed_and_the_call_fails_clearly()
    {
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 302, "text/plain", [], ct, $"Location: {gateway.Silent.Origin}/v1/chat/completions\r\n");

        var (response, body, row) = await ChatAsync(stream: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("redirect (HTTP 302), which ControlPlane does not follow", body, StringComparison.Ordinal);
        Assert.Equal("upstream_redirect", row.ErrorClass);
        Assert.False(gateway.Silent.ReceivedConnection);
    }

    [Fact]
    public async Task An_oversized_answer_is_cut_with_a_clear_error_and_charged_its_input_and_at_most_the_output_cap()
    {
        var answer = Encoding.UTF8.GetBytes($$"""{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{{new string('a', 200_000)}}"},"finish_reason":"stop"}]}""");
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 200, "application/json", answer, ct, declareLength: false);

        var (response, body, row) = await ChatAsync(stream: false);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("more than 65,536 bytes", body, StringComparison.Ordinal);
        Assert.Equal(("upstream_too_large", 502), (row.ErrorClass, row.Status));
        Assert.Equal(UsageSource.Estimated, row.UsageSource);
        Assert.True(row.InputTokens > 0);
        Assert.Equal(50, row.OutputTokens); // what arrived is far more than the cap the provider was sent: the cap it is
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 50), row.Cost);
    }

    [Fact]
    public async Task An_oversized_stream_event_ends_the_stream_with_an_error_and_meters_what_went_by()
    {
        var first = """data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"scripted-model","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello there"},"finish_reason":null}]}""" + "\n\n";
        var stream = Encoding.UTF8.GetBytes(first + "data: " + new string('a', 60_000));
        gateway.Scripted.Answer = (s, ct) => ScriptedUpstream.ReplyAsync(s, 200, "text/event-stream", stream, ct, declareLength: false);

        var (response, body, row) = await ChatAsync(stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello there", body, StringComparison.Ordinal);
        Assert.Contains("upstream_too_large", body, StringComparison.Ordinal);
        Assert.Contains("larger than 16,384 bytes", body, StringComparison.Ordinal);
        Assert.Equal("upstream_too_large", row.ErrorClass);
        Assert.Equal(UsageSource.Estimated, row.UsageSource);
        Assert.True(row.OutputTokens is > 0 and <= 50, $"output tokens {row.OutputTokens}");
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, row.OutputTokens), row.Cost);
    }
}

public sealed class ProviderSecurityTests_on_Sqlite(SqliteProviderSecurityApp g) : ProviderSecurityTests<SqliteProviderSecurityApp>(g), IClassFixture<SqliteProviderSecurityApp>;

public sealed class ProviderSecurityTests_on_Postgres(PostgresProviderSecurityApp g) : ProviderSecurityTests<PostgresProviderSecurityApp>(g), IClassFixture<PostgresProviderSecurityApp>;
