using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Web;
using ControlPlane.Infrastructure.Auth.Saml;
using ControlPlane.Testing.Saml;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Tests.Auth.Saml;

/// <summary>The real SimpleSAMLphp IdP, once per test class.</summary>
public sealed class SamlIdpFixture : IAsyncLifetime
{
    public SimpleSamlIdp Idp { get; private set; } = default!;

    public async Task InitializeAsync() => Idp = await SimpleSamlIdp.StartAsync();

    public async Task DisposeAsync() => await Idp.DisposeAsync();
}

/// <summary>
/// One app node on 127.0.0.1 with the SAML provider "acme" pointed at the test IdP's metadata URL, its log captured and
/// every ticket the handler hands on captured through Events.OnTicketReceived (which answers "ticket received" instead
/// of starting a session: who the person is here is SsoSignIn's part, not the SP's).
/// </summary>
internal sealed class SamlNode : IAsyncDisposable
{
    public const string Provider = "acme";
    public const string SpEntityId = "https://controlplane.test/saml/acme";
    public const string TicketReceived = "ticket received";

    private readonly WebApplicationFactory<Program> _factory;

    private SamlNode(WebApplicationFactory<Program> factory, Uri baseUrl, LogCapture logs, ConcurrentQueue<ClaimsPrincipal> tickets)
    {
        _factory = factory;
        BaseUrl = baseUrl;
        Logs = logs;
        Tickets = tickets;
    }

    public Uri BaseUrl { get; }
    public Uri AcsUrl => new(BaseUrl, SamlOptions.AcsPathFor(Provider));
    public LogCapture Logs { get; }
    public ConcurrentQueue<ClaimsPrincipal> Tickets { get; }
    public IServiceProvider Services => _factory.Services;

    /// <summary>Starts a node; with captureTickets false the ticket goes on to SsoSignIn as in production (person, role, session).</summary>
    public static SamlNode Start(TestDatabase database, SimpleSamlIdp idp, IReadOnlyDictionary<string, string?>? extra = null, bool captureTickets = true)
    {
        var logs = new LogCapture();
        var tickets = new ConcurrentQueue<ClaimsPrincipal>();
        var settings = new Dictionary<string, string?>
        {
            [$"Auth:Saml:{Provider}:DisplayName"] = "Acme SAML",
            [$"Auth:Saml:{Provider}:IdpMetadataUrl"] = idp.MetadataUrl,
            [$"Auth:Saml:{Provider}:SpEntityId"] = SpEntityId,
            [$"Auth:Saml:{Provider}:EmailAttribute"] = "email",
            [$"Auth:Saml:{Provider}:NameAttribute"] = "displayName",
            [$"Auth:Saml:{Provider}:GroupsAttribute"] = "groups",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var factory = new AppFactory(database, seedDemoData: false, settings: settings).WithWebHostBuilder(web =>
        {
            web.ConfigureLogging(logging => logging.AddProvider(logs));
            if (captureTickets)
                web.ConfigureTestServices(services => services.PostConfigure<SamlOptions>(SamlOptions.SchemeFor(Provider), options =>
                    options.Events.OnTicketReceived = async context =>
                    {
                        tickets.Enqueue(context.Principal!);
                        context.HandleResponse();
                        await context.Response.WriteAsync(TicketReceived);
                    }));
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var node = new SamlNode(factory, new Uri(address), logs, tickets);
        idp.TrustServiceProvider(SpEntityId, node.AcsUrl.AbsoluteUri);
        return node;
    }

    /// <summary>Starts an SP-initiated sign-in: the redirect to the IdP, with the AuthnRequest's id and the RelayState.</summary>
    public async Task<(Uri IdpUrl, string RequestId, string RelayState)> StartSignInAsync(LoopbackBrowser browser)
    {
        using var response = await browser.GetAsync(new Uri(BaseUrl, $"/saml/{Provider}/sign-in?returnUrl=/"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var idpUrl = response.Headers.Location!;
        var query = HttpUtility.ParseQueryString(idpUrl.Query);
        var request = SamlAuthnRequest.Decode(query["SAMLRequest"]!);
        var requestId = System.Xml.Linq.XElement.Parse(request).Attribute("ID")!.Value;
        return (idpUrl, requestId, query["RelayState"]!);
    }

    /// <summary>Signs in at SimpleSAMLphp as <paramref name="user"/>; returns the auto-posting form it answers with.</summary>
    public static async Task<(Uri Acs, Dictionary<string, string> Fields)> SignInAtIdpAsync(LoopbackBrowser browser, Uri idpUrl, SamlTestUser user)
    {
        using var loginPage = await browser.FollowAsync(idpUrl);
        var loginUrl = loginPage.RequestMessage!.RequestUri!;
        var (action, fields) = LoopbackBrowser.FormOf(await loginPage.Content.ReadAsStringAsync(), loginUrl);
        fields["username"] = user.UserName;
        fields["password"] = user.Password;
        var answer = await browser.PostFormAsync(action, fields);
        if (LoopbackBrowser.IsRedirect(answer))
        {
            var next = new Uri(action, answer.Headers.Location!);
            answer.Dispose();
            answer = await browser.FollowAsync(next);
        }
        using (answer)
        {
            var (acs, posted) = LoopbackBrowser.FormOf(await answer.Content.ReadAsStringAsync(), answer.RequestMessage!.RequestUri!);
            Assert.True(posted.ContainsKey("SAMLResponse"), "SimpleSAMLphp answered without a SAMLResponse.");
            return (acs, posted);
        }
    }

    public Task<HttpResponseMessage> PostToAcsAsync(LoopbackBrowser browser, string samlResponse, string? relayState)
    {
        var fields = new Dictionary<string, string> { ["SAMLResponse"] = samlResponse };
        if (relayState is not null) fields["RelayState"] = relayState;
        return browser.PostFormAsync(AcsUrl, fields);
    }

    /// <summary>The refusal this node logged for its SAML provider (the reason code and the detail), or null.</summary>
    public string? Refusal(SamlRefusal refusal) =>
        Logs.Lines.FirstOrDefault(l => l.Contains($"SAML sign-in through {Provider} refused ({refusal})", StringComparison.Ordinal));

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
}
