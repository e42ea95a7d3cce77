using System.Net;
using System.Security.Claims;
using ControlPlane.Features.Demo;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Auth;

/// <summary>
/// Who may reach what, written down once. A new route that is not in <see cref="Matrix"/> fails the first test,
/// so nobody adds a page or endpoint without deciding who may use it.
/// </summary>
public sealed class AuthorizationMatrixTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private const string Anonymous = "anonymous";
    /// <summary>Gateway endpoints admit a valid virtual API key, never a signed-in person's cookie.</summary>
    private const string ApiKey = "api key";
    /// <summary>SCIM endpoints admit an identity provider's SCIM token, never a person's cookie.</summary>
    private const string ScimToken = "scim token";
    private static readonly string[] Everyone = [.. Roles.All];

    /// <summary>Route pattern → the roles admitted, or <see cref="Anonymous"/> for everybody, signed in or not.</summary>
    private static readonly Dictionary<string, string[]> Matrix = new()
    {
        ["/"] = Everyone,
        ["/teams"] = Everyone,
        ["/keys"] = Everyone,
        ["/audit"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/audit/export.csv"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/audit/export.json"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/calls"] = Everyone,
        ["/requests"] = Everyone,
        ["/calls/export.csv"] = Everyone,
        ["/api/v1/calls"] = Everyone,
        ["/api/v1/calls/totals"] = Everyone,
        ["/stats"] = Everyone,
        ["/models"] = Everyone,
        ["/routing"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/providers"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/prices"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        ["/wallets"] = Everyone,
        ["/wallets/chargeback.csv"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        ["/people"] = [Roles.Owner, Roles.Admin],
        ["/settings/sign-in"] = [Roles.Owner],
        ["/notifications"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        ["/digests"] = Everyone,
        ["/finops"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        ["/experiments"] = [Roles.Owner, Roles.Admin, Roles.TeamLead, Roles.Auditor],
        ["/access-denied"] = Everyone,
        ["/sign-out"] = Everyone,
        ["/_blazor"] = Everyone,
        ["/_blazor/negotiate"] = Everyone,
        ["/_blazor/initializers"] = Everyone,
        ["/_blazor/disconnect"] = Everyone,
        ["/_framework/opaque-redirect"] = Everyone,
        // Spend ticks for clients outside the app (Features/Live/SpendHub): every signed-in role, each scoped by SpendAudience.
        ["/hubs/spend"] = Everyone,
        ["/hubs/spend/negotiate"] = Everyone,
        // Development only: MapStaticAssets' fallback for files edited after the build (absent in Production).
        ["/{**path:file}"] = Everyone,
        ["/sign-in"] = [Anonymous],
        ["/sign-in/{name}"] = [Anonymous],
        ["/dev/sign-in"] = [Anonymous],
        ["/saml/{name}/metadata"] = [Anonymous],
        ["/saml/{name}/sign-in"] = [Anonymous],
        // A one-time link: the page shows whom it signs in; its form's post uses it (the token is the credential).
        ["/sign-in/link/{Token}"] = [Anonymous],
        ["/not-found"] = [Anonymous],
        ["/error"] = [Anonymous],
        ["/health"] = [Anonymous],
        ["/ready"] = [Anonymous],
        ["/v1/chat/completions"] = [ApiKey],
        ["/v1/messages"] = [ApiKey],
        ["/v1/embeddings"] = [ApiKey],
        ["/v1/models"] = [ApiKey],
        ["/v1/feedback"] = [ApiKey],
        ["/scim/v2/Users"] = [ScimToken],
        ["/scim/v2/Users/{id}"] = [ScimToken],
        ["/scim/v2/Groups"] = [ScimToken],
        ["/scim/v2/Groups/{id}"] = [ScimToken],
        ["/scim/v2/ServiceProviderConfig"] = [ScimToken],
        ["/scim/v2/ResourceTypes"] = [ScimToken],
        ["/scim/v2/Schemas"] = [ScimToken],
        ["/transfers"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["/transfers/new"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        // Slack calls these: no session or key, Slack's request signature is checked in the handler (SlackAppTests).
        ["/slack/commands"] = [Anonymous],
        ["/slack/interactions"] = [Anonymous],
        // The wallet API for automation: a key, acting as its creator (Features/Transfers/WalletApiEndpoints).
        ["/v1/wallet/balance"] = [ApiKey],
        ["/v1/wallet/transfers"] = [ApiKey],
        ["/v1/wallet/transfers/{id}/approve"] = [ApiKey],
        ["/v1/wallet/transfers/{id}/reject"] = [ApiKey],
        ["/reconciliation"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        // Hangfire's dashboard (Infrastructure/Jobs): admins run jobs, the auditor reads them (read-only, JobsDashboardTests).
        ["/jobs/{**path}"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        // The prompt registry (Features/Prompts): everyone reads their teams' prompts (PromptQueries scopes them).
        ["/prompts"] = Everyone,
        ["/prompts/{Id:guid}"] = Everyone,
        ["/prompts/export.json"] = Everyone,
        // The management API (Infrastructure/Api): the pages' policies; a method is named where it differs from GET's.
        ["/settings/api-tokens"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/teams"] = Everyone,
        ["POST /api/v1/teams"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/teams/{id:guid}"] = Everyone,
        ["PATCH /api/v1/teams/{id:guid}"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/teams/{id:guid}/members"] = Everyone,
        ["POST /api/v1/teams/{id:guid}/members"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/teams/{id:guid}/members/{userId:guid}"] = Everyone,
        ["DELETE /api/v1/teams/{id:guid}/members/{userId:guid}"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/teams/{teamId:guid}/projects"] = Everyone,
        ["POST /api/v1/teams/{teamId:guid}/projects"] = Everyone, // ProjectService: whoever manages the team
        ["/api/v1/projects/{id:guid}"] = Everyone,
        ["/api/v1/keys"] = Everyone,
        ["POST /api/v1/keys"] = [Roles.Owner, Roles.Admin, Roles.TeamLead],
        ["/api/v1/keys/{id:guid}"] = Everyone,
        ["DELETE /api/v1/keys/{id:guid}"] = [Roles.Owner, Roles.Admin, Roles.TeamLead],
        ["POST /api/v1/keys/{id:guid}/rotate"] = [Roles.Owner, Roles.Admin, Roles.TeamLead],
        ["/api/v1/wallets"] = Everyone,
        ["POST /api/v1/wallets"] = Everyone, // WalletService: Owner and FinanceAdmin
        ["/api/v1/wallets/{id:guid}"] = Everyone,
        ["PUT /api/v1/wallets/{id:guid}"] = Everyone, // WalletService: Owner and FinanceAdmin
        ["/api/v1/transfers"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["POST /api/v1/transfers"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["/api/v1/transfers/{id:guid}"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["POST /api/v1/transfers/{id:guid}/approve"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["POST /api/v1/transfers/{id:guid}/reject"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.TeamLead, Roles.Auditor],
        ["/api/v1/admin-tokens"] = [Roles.Owner, Roles.Admin],
        ["POST /api/v1/admin-tokens"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/admin-tokens/{id:guid}"] = [Roles.Owner, Roles.Admin],
        ["DELETE /api/v1/admin-tokens/{id:guid}"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/providers"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["POST /api/v1/providers"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/providers/{id:guid}"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["PUT /api/v1/providers/{id:guid}"] = [Roles.Owner, Roles.Admin],
        ["POST /api/v1/providers/{id:guid}/test"] = [Roles.Owner, Roles.Admin],
        ["/api/v1/prices"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        ["POST /api/v1/prices"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin],
        ["/api/v1/audit"] = [Roles.Owner, Roles.Admin, Roles.Auditor],
        ["/api/v1/chargeback"] = [Roles.Owner, Roles.Admin, Roles.FinanceAdmin, Roles.Auditor],
        // The API's description and its reference page: no data, open to generators and CI.
        ["/openapi/{documentName}.json"] = [Anonymous],
        ["/api/reference/{documentName?}"] = [Anonymous],
        ["/api/reference/scalar.js"] = [Anonymous],
        ["/api/reference/scalar.aspnetcore.js"] = [Anonymous],
        ["/api/reference/favicon.svg"] = [Anonymous],
    };

    /// <summary>Pages and probes a browser or a load balancer GETs: walked over HTTP with every role.</summary>
    private static readonly string[] Gettable = ["/", "/teams", "/keys", "/audit", "/calls", "/requests", "/calls/export.csv?range=day", "/api/v1/calls?size=5", "/api/v1/calls/totals", "/stats", "/models", "/providers", "/prices", "/wallets", "/wallets/chargeback.csv?from=2026-11-01&to=2026-11-30", "/people", "/settings/sign-in", "/access-denied", "/sign-in", "/not-found", "/error", "/health", "/ready", "/transfers", "/transfers/new", "/notifications", "/audit/export.csv?action=key.", "/audit/export.json", "/digests", "/finops", "/reconciliation", "/jobs", "/prompts", "/prompts/export.json", "/routing", "/settings/api-tokens", "/api/v1/teams", "/api/v1/keys", "/api/v1/wallets", "/api/v1/transfers", "/api/v1/admin-tokens", "/api/v1/providers", "/api/v1/prices", "/api/v1/audit?action=key.", "/api/v1/chargeback?from=2026-11-01&to=2026-11-30", "/experiments"];

    private static string DemoPersonWith(string role) => DemoData.People.First(p => p.Role == role).Email;

    [Fact]
    public async Task Every_endpoint_is_in_the_matrix_and_its_policy_admits_exactly_the_roles_listed()
    {
        var services = fixture.App.Services;
        var policies = services.GetRequiredService<IAuthorizationPolicyProvider>();
        var authorization = services.GetRequiredService<IAuthorizationService>();
        var endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !IsStaticAsset(e.RoutePattern.RawText!)).ToList();

        var routes = endpoints.Select(KeyOf).Distinct().Order().ToList();
        Assert.Equal(Matrix.Keys.Order(), routes);

        foreach (var endpoint in endpoints)
        {
            var route = KeyOf(endpoint);
            var admitted = await AdmittedAsync(endpoint, policies, authorization);
            Assert.True(Matrix[route].SequenceEqual(admitted), $"{route} admits [{string.Join(", ", admitted)}], the matrix says [{string.Join(", ", Matrix[route])}]");
        }
    }

    [Fact]
    public async Task Static_assets_are_public_by_choice()
    {
        var endpoints = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => IsStaticAsset(e.RoutePattern.RawText!)).ToList();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.True(e.Metadata.GetMetadata<IAllowAnonymous>() is not null, $"{e.RoutePattern.RawText} is not anonymous"));

        using var client = fixture.App.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_framework/blazor.web.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/assets/css/app.css")).StatusCode);
    }

    [Fact]
    public async Task Anonymous_visitors_are_sent_to_sign_in_from_every_page_that_needs_a_role()
    {
        using var client = fixture.App.CreateBrowserClient();
        foreach (var route in Gettable)
        {
            var response = await client.GetAsync(route);
            if (Matrix[RouteOf(route)].Contains(Anonymous))
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {route} as anonymous answered {(int)response.StatusCode}");
            else if (route.StartsWith("/api/", StringComparison.Ordinal))
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"GET {route} as anonymous answered {(int)response.StatusCode}"); // an API answers 401, never a page
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"GET {route} as anonymous answered {(int)response.StatusCode}");
                Assert.StartsWith("/sign-in?returnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            }
        }
    }

    public static TheoryData<string> AllRoles => [.. Roles.All];

    [Theory]
    [MemberData(nameof(AllRoles))]
    public async Task Each_role_reaches_exactly_the_pages_the_matrix_gives_it(string role)
    {
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync(DemoPersonWith(role));

        foreach (var route in Gettable)
        {
            var response = await client.GetAsync(route);
            var admitted = Matrix[RouteOf(route)].Contains(Anonymous) || Matrix[RouteOf(route)].Contains(role);
            if (admitted)
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {route} as {role} answered {(int)response.StatusCode}");
            else if (route.StartsWith("/api/", StringComparison.Ordinal))
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"GET {route} as {role} answered {(int)response.StatusCode}"); // an API answers 403, never a page
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"GET {route} as {role} answered {(int)response.StatusCode}");
                Assert.StartsWith("/access-denied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The pages show change controls by these policies; the services decide by the actor's role. They must agree.</summary>
    [Theory]
    [MemberData(nameof(AllRoles))]
    public void The_manage_policies_admit_exactly_the_roles_the_services_let_change_things(string role)
    {
        var actor = new Actor(Guid.NewGuid(), $"{role}@example.test", role);

        Assert.Equal(actor.CanManageAllTeams, Policies.Grants[Policies.ProvidersManage].Contains(role));
        Assert.Equal(actor.CanManageAllTeams, Policies.Grants[Policies.ModelsManage].Contains(role));
        Assert.Equal(PriceBookService.MayEdit(actor), Policies.Grants[Policies.PricesManage].Contains(role));
        // Whoever may change budgets may open the Wallets page and take the chargeback.
        Assert.True(!WalletService.MayEdit(actor) || Policies.Grants[Policies.WalletsView].Contains(role));
        Assert.True(!WalletService.MayEdit(actor) || Policies.Grants[Policies.ChargebackExport].Contains(role));
        // Whoever may change something may also open its page.
        Assert.True(!Policies.Grants[Policies.ProvidersManage].Contains(role) || Policies.Grants[Policies.ProvidersView].Contains(role));
        Assert.True(!Policies.Grants[Policies.ModelsManage].Contains(role) || Policies.Grants[Policies.ModelsView].Contains(role));
        Assert.True(!Policies.Grants[Policies.PricesManage].Contains(role) || Policies.Grants[Policies.PricesView].Contains(role));
        Assert.Equal(PeopleDirectory.MayView(actor), Policies.Grants[Policies.PeopleView].Contains(role));
        Assert.Equal(PeopleDirectory.MayManage(actor), Policies.Grants[Policies.PeopleManage].Contains(role));
    }

    private static async Task<string[]> AdmittedAsync(Endpoint endpoint, IAuthorizationPolicyProvider policies, IAuthorizationService authorization)
    {
        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null) return [Anonymous];
        var policy = await AuthorizationPolicy.CombineAsync(policies, endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(),
            endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>()) ?? await policies.GetFallbackPolicyAsync();
        Assert.NotNull(policy);
        if (policy.AuthenticationSchemes.Contains(Policies.GatewayKeyScheme)) return [ApiKey];
        if (policy.AuthenticationSchemes.Contains(Policies.ScimScheme)) return [ScimToken];

        var admitted = new List<string>();
        foreach (var role in Roles.All)
        {
            var person = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, role), new Claim(ClaimTypes.Role, role)], "test"));
            if ((await authorization.AuthorizeAsync(person, resource: null, policy)).Succeeded) admitted.Add(role);
        }
        return [.. admitted];
    }

    private static bool IsStaticAsset(string pattern) =>
        pattern.StartsWith("_content/", StringComparison.Ordinal) || pattern.StartsWith("_framework/", StringComparison.Ordinal)
        || pattern.StartsWith("assets/", StringComparison.Ordinal);

    /// <summary>The matrix's route for a URL walked over HTTP (its query left off).</summary>
    private static string RouteOf(string url)
    {
        var path = url.Split('?')[0];
        // A mounted sub-application (Hangfire's dashboard) is one catch-all route: "/jobs" is "/jobs/{**path}".
        return Matrix.ContainsKey(path) ? path : Matrix.Keys.Single(k => k.EndsWith("/{**path}", StringComparison.Ordinal) && path.StartsWith(k[..^"/{**path}".Length], StringComparison.Ordinal));
    }

    private static string Normalize(string pattern) => "/" + pattern.Trim('/');

    /// <summary>The matrix's key of an endpoint: its route, and on the management API its method too where it is not GET.</summary>
    private static string KeyOf(RouteEndpoint endpoint)
    {
        var route = Normalize(endpoint.RoutePattern.RawText!);
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
        return route.StartsWith("/api/v1/", StringComparison.Ordinal) && methods.Count == 1 && methods[0] != HttpMethods.Get ? $"{methods[0]} {route}" : route;
    }
}
